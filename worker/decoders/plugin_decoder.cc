#include "worker/decoders/plugin_decoder.h"

#include <fmt/format.h>

#include "worker/decoders/plugin_loader.h"

namespace thumbpipe {

Status PluginDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  std::call_once(load_once_, [this] {
    PluginDecoderEntry entry = nullptr;
    if (LoadPluginSymbol(plugin_, symbol_, &entry, &load_error_)) loaded_ = entry();
  });
  if (loaded_ == nullptr) {
    // Transient: it says nothing of the file, and an installation mended later makes it.
    return Status::Transient(
        fmt::format("{} decoder could not be loaded: {}", FormatName(format_), load_error_));
  }
  return loaded_->Decode(input, request, sink);
}

}  // namespace thumbpipe
