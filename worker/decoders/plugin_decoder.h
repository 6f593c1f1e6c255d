// A Decoder that lives in a plug-in of thumbpipe's own (plugin_loader.h), for a library whose
// mere loading costs every worker: libheif starts its codecs (libde265, x265, dav1d, aom) and
// libjxl its SIMD dispatch (libhwy times its clock), about 6 ms of CPU and 500 page faults per
// worker before the first file, whether or not the run has a single HEIF or JPEG XL in it.
// Inside the plug-in the decoder is an ordinary C++ Decoder; the plug-in exports one C function,
// `symbol`, that returns it, and resolves the worker's own functions (reasons, logging) from
// the program that loads it (see plugin_exports.list).
//
// The plug-in is loaded on the first Decode in a process, once; if it cannot be, every Decode
// returns an error that names the format and says why. Worker only.
#pragma once

#include <mutex>
#include <string>

#include "worker/decoders/decoder.h"

namespace thumbpipe {

class PluginDecoder : public Decoder {
 public:
  // `plugin`: the file name next to the program ("thumbpipe-heif.so"); `symbol`: its entry point,
  // a `const Decoder* symbol()`; `format`: named in the error when loading fails.
  PluginDecoder(const char* plugin, const char* symbol, Format format)
      : plugin_(plugin), symbol_(symbol), format_(format) {}
  Status Decode(Input& input, const DecodeRequest& request, RowSink* sink) const override;

 private:
  const char* plugin_;
  const char* symbol_;
  Format format_;
  // Filled on the first Decode: Decode is const, like every Decoder's, and loading is the one
  // change it makes, once.
  mutable std::once_flag load_once_;
  mutable const Decoder* loaded_ = nullptr;
  mutable std::string load_error_;  // why loading failed
};

// The type of a plug-in's entry point.
using PluginDecoderEntry = const Decoder* (*)();

}  // namespace thumbpipe
