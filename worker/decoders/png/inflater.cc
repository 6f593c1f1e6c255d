#include "worker/decoders/png/inflater.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <climits>

namespace thumbpipe {

uint32_t Crc32(uint32_t crc, std::span<const uint8_t> data) {
  return crc32_gzip_refl(crc, data.data(), data.size());
}

bool IsZlibHeader(uint8_t cmf, uint8_t flg, size_t* window) {
  // RFC 1950: method 8 (deflate), CINFO at most 7, no preset dictionary, the check bits.
  if ((cmf & 0x0F) != 8 || (cmf >> 4) > 7 || (flg & 0x20) != 0 || (cmf * 256 + flg) % 31 != 0)
    return false;
  *window = size_t{1} << ((cmf >> 4) + 8);
  return true;
}

Inflater::Inflater() : state_(std::make_unique<inflate_state>()) { Reset(); }

Inflater::~Inflater() = default;

void Inflater::Reset() {
  isal_inflate_init(state_.get());
  state_->crc_flag = ISAL_ZLIB;
}

void Inflater::Feed(std::span<const uint8_t> data) {
  state_->next_in = const_cast<uint8_t*>(data.data());
  state_->avail_in = static_cast<uint32_t>(data.size());
}

size_t Inflater::pending_input() const { return state_->avail_in; }

Inflater::Result Inflater::Inflate(std::span<uint8_t> out, size_t* written) {
  *written = 0;
  while (!out.empty()) {
    const uint32_t size = static_cast<uint32_t>(std::min<size_t>(out.size(), UINT32_MAX));
    state_->next_out = out.data();
    state_->avail_out = size;
    const int status = isal_inflate(state_.get());
    const size_t produced = size - state_->avail_out;
    *written += produced;
    out = out.subspan(produced);
    if (status != ISAL_DECOMP_OK) return Result::kError;
    if (state_->block_state == ISAL_BLOCK_FINISH) return Result::kEnd;
    if (state_->avail_in == 0 || produced == 0) break;
  }
  return Result::kMore;
}

bool InflateWhole(std::span<const uint8_t> stream, std::span<uint8_t> out) {
  thread_local inflate_state state;  // not on the stack, not per call
  if (stream.size() > UINT32_MAX || out.size() > UINT32_MAX) return false;
  isal_inflate_init(&state);
  state.crc_flag = ISAL_ZLIB;
  state.next_in = const_cast<uint8_t*>(stream.data());
  state.avail_in = static_cast<uint32_t>(stream.size());
  state.next_out = out.data();
  state.avail_out = static_cast<uint32_t>(out.size());
  return isal_inflate_stateless(&state) == ISAL_DECOMP_OK &&
         state.block_state == ISAL_BLOCK_FINISH && state.avail_in == 0 && state.avail_out == 0;
}

}  // namespace thumbpipe
