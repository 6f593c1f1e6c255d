#include "worker/decoders/jpeg_coefficient_store.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include <jerror.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace thumbpipe {
namespace {

constexpr uint64_t kAll = ~uint64_t{0};
constexpr size_t kBlockBytes = sizeof(JBLOCK);
constexpr size_t kMaskBytes = sizeof(uint64_t);
// The most a block can take packed: its mask and every value.
constexpr size_t kMaxPackedBlockBytes = kMaskBytes + kBlockBytes;

// Eight coefficients as they come back unpacked from one byte of a mask: 1 where the bit is set.
constexpr std::array<std::array<JCOEF, 8>, 256> MakeStandIns() {
  std::array<std::array<JCOEF, 8>, 256> table{};
  for (int bits = 0; bits < 256; ++bits) {
    for (int i = 0; i < 8; ++i) table[bits][i] = static_cast<JCOEF>((bits >> i) & 1);
  }
  return table;
}
constexpr std::array<std::array<JCOEF, 8>, 256> kStandIns = MakeStandIns();

// Bit i set where coefficient i of the block is not zero.
uint64_t NonzeroMask(const JCOEF* block) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  uint64_t mask = 0;
  for (int i = 0; i < DCTSIZE2; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + i + 8));
    const __m128i zeros = _mm_packs_epi16(_mm_cmpeq_epi16(a, zero), _mm_cmpeq_epi16(b, zero));
    const uint32_t is_zero = static_cast<uint32_t>(_mm_movemask_epi8(zeros));
    mask |= static_cast<uint64_t>(~is_zero & 0xFFFFu) << i;
  }
  return mask;
#else
  uint64_t mask = 0;
  for (int i = 0; i < DCTSIZE2; ++i) mask |= static_cast<uint64_t>(block[i] != 0) << i;
  return mask;
#endif
}

// The positions 0-7 of a row or column that an IDCT of `scaled_size` reads, as a bit set.
uint64_t LinesRead(int scaled_size) {
  switch (scaled_size) {
    case 1:
      return 0x01;  // jpeg_idct_1x1: the DC coefficient
    case 2:
      return 0xAB;  // jpeg_idct_2x2: 0, 1, 3, 5, 7
    case 4:
      return 0xEF;  // jpeg_idct_4x4: all but 4
    default:
      return 0xFF;
  }
}

}  // namespace

uint64_t CoefficientsRead(int scaled_size) {
  const uint64_t lines = LinesRead(scaled_size);
  uint64_t read = 0;
  for (int row = 0; row < DCTSIZE; ++row) {
    if ((lines >> row) & 1) read |= lines << (row * DCTSIZE);
  }
  return read;
}

// One block row, packed; empty: every coefficient zero.
struct JpegCoefficientStore::Row {
  uint8_t* data;
  uint32_t size;
  uint32_t capacity;
  bool raw;  // the blocks as they are
};

// One virtual block array. The window holds the rows [first, first + loaded) unpacked, in
// window[0..loaded); window[loaded..window_rows) are free buffers.
struct JpegCoefficientStore::Array {
  uint64_t kept;  // the positions whose values are kept
  JDIMENSION blocks_per_row, rows, window_rows;
  Row* packed;
  uint8_t* blocks;  // the window's row buffers
  JBLOCKROW* window;
  uint8_t* dirty;  // of window[i]
  JDIMENSION first, loaded;
  // For Slide.
  JBLOCKROW* spare_window;
  uint8_t* spare_dirty;
  JBLOCKROW* free_rows;
};

JpegCoefficientStore::~JpegCoefficientStore() {
  for (int a = 0; a < array_count_; ++a) {
    Array& array = arrays_[a];
    if (array.packed != nullptr) {
      for (JDIMENSION r = 0; r < array.rows; ++r) std::free(array.packed[r].data);
    }
    std::free(array.packed);
    std::free(array.blocks);
    std::free(array.window);
    std::free(array.dirty);
    std::free(array.spare_window);
    std::free(array.spare_dirty);
    std::free(array.free_rows);
  }
  std::free(arrays_);
  std::free(scratch_);
}

void JpegCoefficientStore::Install(j_decompress_ptr cinfo) {
  cinfo->client_data = this;
  realize_others_ = cinfo->mem->realize_virt_arrays;
  cinfo->mem->request_virt_barray = Request;
  cinfo->mem->realize_virt_arrays = Realize;
  cinfo->mem->access_virt_barray = Access;
}

void* JpegCoefficientStore::Allocate(j_common_ptr cinfo, size_t bytes) {
  void* memory = std::malloc(bytes == 0 ? 1 : bytes);
  if (memory == nullptr) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
  bytes_ += bytes;
  peak_bytes_ = std::max(peak_bytes_, bytes_);
  return memory;
}

// jdcoefct.c (jinit_d_coef_controller) asks for one array per component, in component order,
// before Realize; the scales are known by then (jdmaster.c, master_selection).
jvirt_barray_ptr JpegCoefficientStore::Request(j_common_ptr cinfo, int, boolean,
                                               JDIMENSION blocks_per_row, JDIMENSION rows,
                                               JDIMENSION max_access) {
  auto* store = static_cast<JpegCoefficientStore*>(cinfo->client_data);
  if (!cinfo->is_decompressor || store->array_count_ == MAX_COMPONENTS) {
    ERREXIT(cinfo, JERR_VIRTUAL_BUG);
  }
  if (store->arrays_ == nullptr) {
    store->arrays_ = static_cast<Array*>(std::calloc(MAX_COMPONENTS, sizeof(Array)));
    if (store->arrays_ == nullptr) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
  }
  const int index = store->array_count_++;
  Array& array = store->arrays_[index];
  array.blocks_per_row = blocks_per_row;
  array.rows = rows;
  array.window_rows = std::max<JDIMENSION>(1, std::min(max_access, rows));
  array.kept = kAll;
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (index < d->num_components) {
    const jpeg_component_info& c = d->comp_info[index];
    const auto round_up = [](JDIMENSION n, int m) {
      return (n + static_cast<JDIMENSION>(m) - 1) / static_cast<JDIMENSION>(m) *
             static_cast<JDIMENSION>(m);
    };
    // Only what its own component's IDCT reads; an array that is not quite that component's
    // keeps everything.
    if (blocks_per_row == round_up(c.width_in_blocks, c.h_samp_factor) &&
        rows == round_up(c.height_in_blocks, c.v_samp_factor)) {
      array.kept = CoefficientsRead(c.DCT_scaled_size);
    }
  }
  return reinterpret_cast<jvirt_barray_ptr>(&array);
}

void JpegCoefficientStore::Realize(j_common_ptr cinfo) {
  auto* store = static_cast<JpegCoefficientStore*>(cinfo->client_data);
  store->realize_others_(cinfo);
  size_t widest = 0;
  for (int a = 0; a < store->array_count_; ++a) {
    Array& array = store->arrays_[a];
    if (array.packed != nullptr) continue;
    widest = std::max<size_t>(widest, array.blocks_per_row);
    const size_t row_bytes = size_t{array.blocks_per_row} * kBlockBytes;
    array.packed = static_cast<Row*>(store->Allocate(cinfo, sizeof(Row) * array.rows));
    std::memset(array.packed, 0, sizeof(Row) * array.rows);
    const size_t w = array.window_rows;
    array.window = static_cast<JBLOCKROW*>(store->Allocate(cinfo, sizeof(JBLOCKROW) * w));
    array.spare_window = static_cast<JBLOCKROW*>(store->Allocate(cinfo, sizeof(JBLOCKROW) * w));
    array.free_rows = static_cast<JBLOCKROW*>(store->Allocate(cinfo, sizeof(JBLOCKROW) * w));
    array.dirty = static_cast<uint8_t*>(store->Allocate(cinfo, w));
    array.spare_dirty = static_cast<uint8_t*>(store->Allocate(cinfo, w));
    std::memset(array.dirty, 0, w);
    array.blocks = static_cast<uint8_t*>(store->Allocate(cinfo, row_bytes * w));
    for (size_t i = 0; i < w; ++i) {
      array.window[i] = reinterpret_cast<JBLOCKROW>(array.blocks + i * row_bytes);
    }
    array.first = 0;
    array.loaded = 0;
  }
  if (widest > 0) {
    std::free(store->scratch_);
    store->scratch_ = nullptr;
    store->scratch_ = static_cast<uint8_t*>(store->Allocate(cinfo, widest * kMaxPackedBlockBytes));
  }
}

void JpegCoefficientStore::Pack(j_common_ptr cinfo, Array* array, JDIMENSION row,
                                JBLOCKROW blocks) {
  const uint64_t kept = array->kept;
  uint8_t* out = scratch_;
  uint64_t any = 0;
  for (JDIMENSION b = 0; b < array->blocks_per_row; ++b) {
    const JCOEF* block = blocks[b];
    const uint64_t mask = NonzeroMask(block);
    any |= mask;
    std::memcpy(out, &mask, kMaskBytes);
    out += kMaskBytes;
    for (uint64_t values = mask & kept; values != 0; values &= values - 1) {
      std::memcpy(out, block + __builtin_ctzll(values), sizeof(JCOEF));
      out += sizeof(JCOEF);
    }
  }
  Row& packed = array->packed[row];
  if (any == 0) {  // nothing but zeros, as every row starts
    packed.size = 0;
    packed.raw = false;
    return;
  }
  size_t size = static_cast<size_t>(out - scratch_);
  const uint8_t* source = scratch_;
  packed.raw = size > size_t{array->blocks_per_row} * kBlockBytes;
  if (packed.raw) {
    size = size_t{array->blocks_per_row} * kBlockBytes;
    source = reinterpret_cast<const uint8_t*>(blocks);
  }
  if (size > packed.capacity) {
    std::free(packed.data);
    bytes_ -= packed.capacity;
    packed.data = nullptr;
    packed.capacity = 0;
    packed.data = static_cast<uint8_t*>(Allocate(cinfo, size));
    packed.capacity = static_cast<uint32_t>(size);
  }
  std::memcpy(packed.data, source, size);
  packed.size = static_cast<uint32_t>(size);
}

void JpegCoefficientStore::Unpack(const Array& array, JDIMENSION row, JBLOCKROW blocks) const {
  const Row& packed = array.packed[row];
  if (packed.size == 0) {
    std::memset(blocks, 0, size_t{array.blocks_per_row} * kBlockBytes);
    return;
  }
  if (packed.raw) {
    std::memcpy(blocks, packed.data, packed.size);
    return;
  }
  const uint64_t kept = array.kept;
  const uint8_t* in = packed.data;
  for (JDIMENSION b = 0; b < array.blocks_per_row; ++b) {
    JCOEF* block = blocks[b];
    uint64_t mask;
    std::memcpy(&mask, in, kMaskBytes);
    in += kMaskBytes;
    for (int group = 0; group < DCTSIZE2 / 8; ++group) {
      std::memcpy(block + group * 8, kStandIns[(mask >> (group * 8)) & 0xFF].data(),
                  8 * sizeof(JCOEF));
    }
    for (uint64_t values = mask & kept; values != 0; values &= values - 1) {
      std::memcpy(block + __builtin_ctzll(values), in, sizeof(JCOEF));
      in += sizeof(JCOEF);
    }
  }
}

// Moves the window to start at `first`: rows that leave it are packed (if written), rows that
// enter it unpacked, rows in both stay as they are.
void JpegCoefficientStore::Slide(j_common_ptr cinfo, Array* array, JDIMENSION first) {
  const JDIMENSION old_first = array->first;
  const JDIMENSION old_end = old_first + array->loaded;
  const JDIMENSION loaded = std::min(array->window_rows, array->rows - first);
  const JDIMENSION end = first + loaded;
  JDIMENSION free_count = 0;
  for (JDIMENSION i = 0; i < array->loaded; ++i) {
    const JDIMENSION row = old_first + i;
    if (row >= first && row < end) continue;
    if (array->dirty[i]) Pack(cinfo, array, row, array->window[i]);
    array->free_rows[free_count++] = array->window[i];
  }
  for (JDIMENSION i = array->loaded; i < array->window_rows; ++i) {
    array->free_rows[free_count++] = array->window[i];
  }
  for (JDIMENSION i = 0; i < loaded; ++i) {
    const JDIMENSION row = first + i;
    if (row >= old_first && row < old_end) {
      array->spare_window[i] = array->window[row - old_first];
      array->spare_dirty[i] = array->dirty[row - old_first];
    } else {
      array->spare_window[i] = array->free_rows[--free_count];
      array->spare_dirty[i] = 0;
      Unpack(*array, row, array->spare_window[i]);
    }
  }
  for (JDIMENSION i = loaded; i < array->window_rows; ++i) {
    array->spare_window[i] = array->free_rows[--free_count];
    array->spare_dirty[i] = 0;
  }
  std::swap(array->window, array->spare_window);
  std::swap(array->dirty, array->spare_dirty);
  array->first = first;
  array->loaded = loaded;
}

JBLOCKARRAY JpegCoefficientStore::Access(j_common_ptr cinfo, jvirt_barray_ptr handle,
                                         JDIMENSION start_row, JDIMENSION num_rows,
                                         boolean writable) {
  auto* store = static_cast<JpegCoefficientStore*>(cinfo->client_data);
  auto* array = reinterpret_cast<Array*>(handle);
  const JDIMENSION end_row = start_row + num_rows;
  if (array->packed == nullptr || end_row > array->rows || end_row < start_row ||
      num_rows > array->window_rows) {
    ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);
  }
  if (start_row < array->first || end_row > array->first + array->loaded) {
    // Forward: the window starts at the first row asked for; backward: ends at the last one.
    JDIMENSION first =
        start_row > array->first ? start_row : end_row - std::min(end_row, array->window_rows);
    first = std::min(first, array->rows - array->window_rows);
    store->Slide(cinfo, array, first);
  }
  const JDIMENSION at = start_row - array->first;
  if (writable) std::memset(array->dirty + at, 1, num_rows);
  return array->window + at;
}

}  // namespace thumbpipe
