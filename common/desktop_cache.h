// The freedesktop.org Thumbnail Managing Standard's cache (--layout freedesktop), the rules
// both sides of a run share: where the cache is, its flavours (sizes), how a thumbnail and a
// failure marker are named, what they say of their source (PNG text chunks), and whether one
// on disk is current. The producer reads thumbnails with these rules (producer/desktop_check.h),
// the workers write them (worker/layouts/desktop_layout.h), the launcher makes the folders
// (and writes the failure marker of a file whose worker died on it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/atomic_file.h"
#include "common/image_format.h"
#include "common/message.h"
#include "common/png_text.h"
#include "common/status.h"

namespace thumbpipe {

// The standard's flavours: a folder each, thumbnails whose longer side is the size (never
// larger than the original). The numbers are bits of a run's flavour set: never renumber.
struct DesktopFlavour {
  std::string_view name;
  uint32_t size;
};
inline constexpr DesktopFlavour kDesktopFlavours[] = {
    {"normal", 128}, {"large", 256}, {"x-large", 512}, {"xx-large", 1024}};
inline constexpr int kDesktopFlavourCount = 4;
// A set of flavours: bit i stands for kDesktopFlavours[i]. The default: normal and large.
inline constexpr uint32_t kDefaultDesktopFlavours = 0b0011;

// "normal" or its square box "128x128" (and so on): the flavour's index, or nullopt.
std::optional<int> ParseDesktopFlavour(std::string_view text);
// "normal,large": the names of a set's flavours, smallest first.
std::string DesktopFlavourNames(uint32_t flavours);

// The cache's folder, "<cache home>/thumbnails", where the cache home is XDG_CACHE_HOME when
// that is set to an absolute path, else "$HOME/.cache" (the XDG Base Directory rule). Fails
// when neither variable gives an absolute path. Either argument may be null (unset).
Status DesktopThumbnailsFolder(const char* xdg_cache_home, const char* home, std::string* folder);

// "<md5 of uri>.png": the name of the file's thumbnail in every flavour's folder, and of its
// failure marker.
std::string DesktopCacheName(std::string_view uri);
// "<flavour>/<md5 of uri>.png", relative to the thumbnails folder.
std::string DesktopThumbnailName(int flavour, std::string_view uri);
// "fail/thumbpipe-<version>": where this program's failure markers go, relative to the
// thumbnails folder (the standard gives each program, and version, a folder of its own).
std::string DesktopFailFolder();
// "<DesktopFailFolder()>/<md5 of uri>.png".
std::string DesktopFailMarkerName(std::string_view uri);

// "thumbpipe <version>": the Software text of what thumbpipe writes.
std::string_view DesktopSoftware();

// Thumb::MTime: the source's modification time in whole seconds since the epoch (as stat's
// st_mtime: rounded down), in decimal.
std::string DesktopMTime(int64_t mtime_ns);
// Thumb::Mimetype of a sniffed format ("image/jpeg"); empty when it has none.
std::string_view DesktopMimeType(Format format);

// The standard's failure marker for the file at `uri` with mtime `mtime` (DesktopMTime): one
// transparent pixel with Thumb::URI, Thumb::MTime, Software and the reason
// (kDesktopReasonKey).
std::vector<uint8_t> DesktopFailMarkerPng(const std::string& uri, const std::string& mtime,
                                          const std::string& reason);
// Our own key (the standard leaves keys that start with "X-" to programs): why the file
// failed, so that a run that passes it over can still say why.
inline constexpr std::string_view kDesktopReasonKey = "X-Thumbpipe::Reason";

// Records in the cache open as `cache` that the file at `path` (absolute), stamped `stamp`,
// cannot be thumbnailed for `reason`: its thumbnails of `flavours` (stale now) are removed and
// its failure marker written (mode 0600, atomically). Used by the workers, and by the launcher
// for a file its worker crashed or timed out on.
Status RecordDesktopFailure(OutputDir* cache, uint32_t flavours, const std::string& path,
                            const FileStamp& stamp, const std::string& reason);

// Files and folders of the cache, as the standard asks: only the user may read them.
inline constexpr mode_t kDesktopFileMode = 0600;
inline constexpr mode_t kDesktopFolderMode = 0700;

// What makes a thumbnail (or failure marker) of the file at `uri` current.
struct DesktopSource {
  std::string uri;    // FileUri of the source path
  std::string mtime;  // DesktopMTime of its modification time
};

// Reads the PNG text chunks of the file `name` under the folder open as `folder_fd` (only its
// first bytes, up to its image data). Fails when it is missing, not a regular file, or not a
// PNG whose chunks before the image data are intact.
Status ReadDesktopThumbnailText(int folder_fd, const std::string& name,
                                std::vector<PngText>* texts);
// The standard's rule: a thumbnail is current when its Thumb::URI and Thumb::MTime are the
// source's. False too when it cannot be read.
bool IsCurrentDesktopThumbnail(int folder_fd, const std::string& name, const DesktopSource& source);

}  // namespace thumbpipe
