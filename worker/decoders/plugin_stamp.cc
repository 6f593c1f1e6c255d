// Linked into every plug-in: the stamp of the interface it was built against, which the worker
// checks before it uses anything else of the plug-in (plugin_loader.h).
#include "worker/decoders/plugin_abi.h"

extern "C" __attribute__((visibility("default"))) const char thumbpipe_plugin_abi[] =
    THUMBPIPE_PLUGIN_ABI;
