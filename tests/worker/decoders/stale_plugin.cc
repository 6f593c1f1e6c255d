// A decoder plug-in as another build of thumbpipe would leave it: the entry point the worker
// looks for, and another interface stamp (see worker/decoders/plugin_loader.h). Its decoder is
// never to be called.
extern "C" __attribute__((visibility("default"))) const char thumbpipe_plugin_abi[] =
    "0123456789abcdef";

extern "C" __attribute__((visibility("default"))) const void* thumbpipe_heif_decoder() {
  __builtin_trap();
}
