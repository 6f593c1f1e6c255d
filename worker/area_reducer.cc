#include "worker/area_reducer.h"

#include <algorithm>
#include <cstring>
#include <new>

#include <fmt/format.h>

#include "worker/exact_divider.h"

namespace thumbpipe {
namespace {

// Rows up to this many samples wide are summed down their columns first (see area_reducer.h).
constexpr size_t kMaxColumnSamples = size_t{1} << 22;

// The loops that run once per sample of every decoded row are built twice, for AVX2 and for
// the baseline instruction set; the one the CPU can run is chosen when the program loads.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define THUMBPIPE_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define THUMBPIPE_VECTOR_CLONES
#endif

// Adds `row` times `weight` to the column sums `acc`, `samples` of them: every sample alike
// when opaque; with alpha (the last of kChannels), colours premultiplied by it.
template <uint32_t kChannels, bool kAlpha, typename Sum>
THUMBPIPE_VECTOR_CLONES void AddRow(const uint8_t* row, uint32_t weight, Sum* acc, size_t samples) {
  if constexpr (!kAlpha) {
    for (size_t i = 0; i < samples; ++i) acc[i] += Sum{row[i]} * weight;
  } else {
    for (size_t i = 0; i < samples; i += kChannels) {
      const uint32_t aw = row[i + kChannels - 1] * weight;  // below 2^28
      for (uint32_t ch = 0; ch + 1 < kChannels; ++ch) acc[i + ch] += Sum{row[i + ch]} * aw;
      acc[i + kChannels - 1] += aw;
    }
  }
}

template <typename Sum>
void AddWeighted(const uint8_t* row, uint32_t weight, Sum* acc, size_t samples, uint32_t channels) {
  if (channels == 2) {
    AddRow<2, true>(row, weight, acc, samples);
  } else if (channels == 4) {
    AddRow<4, true>(row, weight, acc, samples);
  } else {
    AddRow<1, false>(row, weight, acc, samples);
  }
}

Status NoMemoryFor(Size to) {
  return Status::OverLimit(
      fmt::format("not enough memory for a {}x{} thumbnail (--max-memory)", to.width, to.height));
}

}  // namespace

// Coordinates: along x, a pixel of the full image is to.width units wide and an output pixel
// full.width units, so both tile [0, full.width * to.width) exactly; a source pixel covers
// `block` pixels of the full image (fewer at the edge). The same along y. An output pixel's
// weights then add up to full.width * full.height, and every weight is a whole number.

uint64_t AreaReducer::SourceEdgeX(uint32_t i) const {
  return std::min<uint64_t>(uint64_t{i} * block_, full_.width) * to_.width;
}

uint64_t AreaReducer::SourceEdgeY(uint32_t i) const {
  return std::min<uint64_t>(uint64_t{i} * block_, full_.height) * to_.height;
}

Status AreaReducer::Begin(Size from, Size to, uint32_t channels, uint32_t block, Size full) {
  if (block <= 1) {
    block = 1;
    full = from;
  }
  const auto blocks = [block](uint32_t side) { return (uint64_t{side} + block - 1) / block; };
  if (to.width == 0 || to.height == 0 || to.width > full.width || to.height > full.height ||
      blocks(full.width) != from.width || blocks(full.height) != from.height || channels < 1 ||
      channels > 4) {
    return Status::Error(
        fmt::format("cannot shrink {}x{} to {}x{}", from.width, from.height, to.width, to.height));
  }
  from_ = from;
  to_ = to;
  full_ = full;
  block_ = block;
  channels_ = channels;
  alpha_ = channels == 2 || channels == 4;
  source_y_ = out_y_ = 0;
  try {
    first_.assign(to.width, 0);
    count_.assign(to.width, 0);
    offset_.assign(to.width, 0);
    weight_.clear();
    weight_.reserve(static_cast<size_t>(from.width) + to.width);
    const uint64_t source_width = uint64_t{block} * to.width;  // of every source pixel but the last
    for (uint32_t x = 0; x < to.width; ++x) {
      const uint64_t begin = uint64_t{x} * full.width, end = (uint64_t{x} + 1) * full.width;
      const uint32_t first = static_cast<uint32_t>(begin / source_width);
      const uint32_t last =
          std::min(static_cast<uint32_t>((end - 1) / source_width), from.width - 1);
      first_[x] = first;
      count_[x] = last - first + 1;
      offset_[x] = static_cast<uint32_t>(weight_.size());
      for (uint32_t i = first; i <= last; ++i) {
        const uint64_t lo = std::max(begin, SourceEdgeX(i));
        const uint64_t hi = std::min(end, SourceEdgeX(i + 1));
        weight_.push_back(static_cast<uint32_t>(hi - lo));
      }
    }
    // With alpha, each colour is summed premultiplied, plus the alpha sum.
    columns_ = size_t{from.width} * channels <= kMaxColumnSamples;
    column_narrow_.clear();
    column_wide_.clear();
    row_sum_.clear();
    if (columns_) {
      // A column's sum over one output row is at most the largest sample (premultiplied) times
      // full.height, the output row's height in these units.
      const uint64_t largest = alpha_ ? 255 * 255 : 255;
      if (largest * full.height <= UINT32_MAX) {
        column_narrow_.assign(size_t{from.width} * channels, 0);
      } else {
        column_wide_.assign(size_t{from.width} * channels, 0);
      }
    } else {
      row_sum_.assign(static_cast<size_t>(to.width) * channels, 0);
    }
    acc_.assign(static_cast<size_t>(to.width) * channels, 0);
  } catch (const std::bad_alloc&) {
    return NoMemoryFor(to);
  }
  if (!out_.TryAllocate(to.width, to.height, channels)) return NoMemoryFor(to);
  return Status::OK();
}

void AreaReducer::ReduceRow(const uint8_t* row) {
  const uint32_t c = channels_;
  for (uint32_t x = 0; x < to_.width; ++x) {
    uint64_t sum[4] = {0, 0, 0, 0};
    const uint8_t* px = row + static_cast<size_t>(first_[x]) * c;
    const uint32_t* w = &weight_[offset_[x]];
    for (uint32_t k = 0; k < count_[x]; ++k, px += c) {
      if (alpha_) {
        const uint64_t aw = uint64_t{px[c - 1]} * w[k];
        for (uint32_t ch = 0; ch + 1 < c; ++ch) sum[ch] += px[ch] * aw;
        sum[c - 1] += aw;
      } else {
        for (uint32_t ch = 0; ch < c; ++ch) sum[ch] += uint64_t{px[ch]} * w[k];
      }
    }
    std::memcpy(&row_sum_[static_cast<size_t>(x) * c], sum, c * sizeof(uint64_t));
  }
}

void AreaReducer::AddToColumns(const uint8_t* row, uint32_t weight) {
  if (!column_narrow_.empty()) {
    AddWeighted(row, weight, column_narrow_.data(), column_narrow_.size(), channels_);
  } else {
    AddWeighted(row, weight, column_wide_.data(), column_wide_.size(), channels_);
  }
}

void AreaReducer::ReduceColumns() {
  if (!column_narrow_.empty()) {
    SumColumns(column_narrow_.data());
    std::fill(column_narrow_.begin(), column_narrow_.end(), 0);
  } else {
    SumColumns(column_wide_.data());
    std::fill(column_wide_.begin(), column_wide_.end(), 0);
  }
}

template <typename Sum>
void AreaReducer::SumColumns(const Sum* columns) {
  switch (channels_) {
    case 1:
      return SumColumnsOf<1>(columns);
    case 2:
      return SumColumnsOf<2>(columns);
    case 3:
      return SumColumnsOf<3>(columns);
    default:
      return SumColumnsOf<4>(columns);
  }
}

template <uint32_t kChannels, typename Sum>
void AreaReducer::SumColumnsOf(const Sum* columns) {
  uint64_t* acc = acc_.data();
  for (uint32_t x = 0; x < to_.width; ++x, acc += kChannels) {
    uint64_t sum[kChannels] = {};
    const Sum* column = columns + size_t{first_[x]} * kChannels;
    const uint32_t* w = &weight_[offset_[x]];
    for (uint32_t k = 0; k < count_[x]; ++k, column += kChannels) {
      for (uint32_t ch = 0; ch < kChannels; ++ch) sum[ch] += uint64_t{column[ch]} * w[k];
    }
    for (uint32_t ch = 0; ch < kChannels; ++ch) acc[ch] = sum[ch];
  }
}

void AreaReducer::PushRow(const uint8_t* row) {
  if (source_y_ >= from_.height) return;
  if (from_ == to_ && block_ == 1) {  // nothing to shrink
    std::memcpy(out_.row(source_y_), row, out_.stride());
    ++source_y_;
    ++out_y_;
    return;
  }
  if (!columns_) ReduceRow(row);
  // Source row y spans [SourceEdgeY(y), SourceEdgeY(y + 1)); output row Y spans
  // [Y * full.height, (Y + 1) * full.height).
  const uint64_t begin = SourceEdgeY(source_y_), end = SourceEdgeY(source_y_ + 1);
  uint64_t at = begin;
  while (at < end && out_y_ < to_.height) {
    const uint64_t out_end = (uint64_t{out_y_} + 1) * full_.height;
    const uint64_t weight = std::min(end, out_end) - at;
    if (columns_) {
      // At most block * to.height: a source row's height in these units.
      AddToColumns(row, static_cast<uint32_t>(weight));
    } else {
      for (size_t i = 0; i < acc_.size(); ++i) acc_[i] += row_sum_[i] * weight;
    }
    at += weight;
    if (at == out_end) {
      if (columns_) ReduceColumns();
      EmitRow();
    }
  }
  ++source_y_;
}

void AreaReducer::EmitRow() {
  switch (channels_) {
    case 1:
      EmitRowOf<1>();
      break;
    case 2:
      EmitRowOf<2>();
      break;
    case 3:
      EmitRowOf<3>();
      break;
    default:
      EmitRowOf<4>();
      break;
  }
  std::fill(acc_.begin(), acc_.end(), 0);
  ++out_y_;
}

template <uint32_t kChannels>
void AreaReducer::EmitRowOf() {
  constexpr bool kAlpha = kChannels == 2 || kChannels == 4;
  const uint64_t area = uint64_t{full_.width} * full_.height;
  const ExactDivider by_area(2 * area);
  uint8_t* out = out_.row(out_y_);
  const uint64_t* sum = acc_.data();
  for (uint32_t x = 0; x < to_.width; ++x, out += kChannels, sum += kChannels) {
    if constexpr (kAlpha) {
      // Colour sums carry an extra factor alpha (up to 255); their weight is the alpha sum.
      const uint64_t alpha_sum = sum[kChannels - 1];
      for (uint32_t ch = 0; ch + 1 < kChannels; ++ch) {
        out[ch] =
            alpha_sum == 0 ? 0 : static_cast<uint8_t>((2 * sum[ch] + alpha_sum) / (2 * alpha_sum));
      }
      out[kChannels - 1] = static_cast<uint8_t>(by_area(2 * alpha_sum + area));
    } else {
      for (uint32_t ch = 0; ch < kChannels; ++ch) {
        out[ch] = static_cast<uint8_t>(by_area(2 * sum[ch] + area));
      }
    }
  }
}

Status AreaReducer::Finish(Image* out) {
  if (source_y_ != from_.height || out_y_ != to_.height) {
    return Status::Error(fmt::format("image ended after {} of {} rows", source_y_, from_.height));
  }
  *out = std::move(out_);
  return Status::OK();
}

Status ReduceImage(const Image& image, Size to, Image* out) {
  AreaReducer reducer;
  if (Status status = reducer.Begin(image.size(), to, image.channels); !status.ok()) return status;
  for (uint32_t y = 0; y < image.height; ++y) reducer.PushRow(image.row(y));
  return reducer.Finish(out);
}

}  // namespace thumbpipe
