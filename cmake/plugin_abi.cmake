# Run by the build (worker/decoders/CMakeLists.txt): writes OUTPUT, a header that defines
# THUMBPIPE_PLUGIN_ABI as the SHA-256 (first 16 digits) of the files listed in INPUTS, one path
# a line: the headers that make the interface between the worker and its plug-ins. OUTPUT is
# rewritten only when the stamp changes, so that nothing is rebuilt for an unchanged interface.
file(STRINGS "${INPUTS}" files)
set(hashes "")
foreach(file IN LISTS files)
  file(SHA256 "${file}" hash)
  string(APPEND hashes "${hash}\n")
endforeach()
string(SHA256 stamp "${hashes}")
string(SUBSTRING "${stamp}" 0 16 stamp)
file(WRITE "${OUTPUT}.new"
  "// Made by cmake/plugin_abi.cmake from the worker's and common headers; see plugin_loader.h.\n"
  "#pragma once\n"
  "#define THUMBPIPE_PLUGIN_ABI \"${stamp}\"\n")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
