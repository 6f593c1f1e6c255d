#include "common/desktop_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/escape.h"
#include "common/file_uri.h"
#include "common/sha256.h"

namespace thumbpipe {
namespace {

// Our own and other programs' writers put the text chunks near the start; a thumbnail whose
// text lies further than this before its image data is read as not current (and made again).
constexpr size_t kFirstRead = 4096;
constexpr size_t kLongestHead = 64 << 10;

}  // namespace

std::optional<int> ParseDesktopFlavour(std::string_view text) {
  for (int i = 0; i < kDesktopFlavourCount; ++i) {
    const DesktopFlavour& flavour = kDesktopFlavours[i];
    if (text == flavour.name || text == fmt::format("{0}x{0}", flavour.size)) return i;
  }
  return std::nullopt;
}

std::string DesktopFlavourNames(uint32_t flavours) {
  std::string names;
  for (int i = 0; i < kDesktopFlavourCount; ++i) {
    if ((flavours & (1u << i)) == 0) continue;
    if (!names.empty()) names += ',';
    names += kDesktopFlavours[i].name;
  }
  return names;
}

Status DesktopThumbnailsFolder(const char* xdg_cache_home, const char* home, std::string* folder) {
  // The XDG rule: a relative XDG_CACHE_HOME is invalid and ignored.
  if (xdg_cache_home != nullptr && xdg_cache_home[0] == '/') {
    *folder = std::string(xdg_cache_home) + "/thumbnails";
  } else if (home != nullptr && home[0] == '/') {
    *folder = std::string(home) + "/.cache/thumbnails";
  } else {
    return Status::Error(
        "--layout freedesktop needs the cache folder: set XDG_CACHE_HOME or HOME to an absolute "
        "path");
  }
  while (folder->find("//") != std::string::npos) folder->replace(folder->find("//"), 2, "/");
  return Status::OK();
}

std::string DesktopCacheName(std::string_view uri) { return Md5Hex(uri) + ".png"; }

std::string DesktopThumbnailName(int flavour, std::string_view uri) {
  return fmt::format("{}/{}", kDesktopFlavours[flavour].name, DesktopCacheName(uri));
}

std::string DesktopFailFolder() { return "fail/thumbpipe-" THUMBPIPE_VERSION; }

std::string DesktopFailMarkerName(std::string_view uri) {
  return fmt::format("{}/{}", DesktopFailFolder(), DesktopCacheName(uri));
}

std::string_view DesktopSoftware() { return "thumbpipe " THUMBPIPE_VERSION; }

std::string DesktopMTime(int64_t mtime_ns) {
  int64_t seconds = mtime_ns / 1'000'000'000;
  if (mtime_ns % 1'000'000'000 < 0) --seconds;
  return std::to_string(seconds);
}

std::string_view DesktopMimeType(Format format) {
  switch (format) {
    case Format::kJpeg:
      return "image/jpeg";
    case Format::kPng:
      return "image/png";
    case Format::kWebp:
      return "image/webp";
    case Format::kTiff:
      return "image/tiff";
    case Format::kBmp:
      return "image/bmp";
    case Format::kPnm:
      return "image/x-portable-anymap";
    case Format::kGif:
      return "image/gif";
    case Format::kHeif:
      return "image/heif";
    case Format::kJpegXl:
      return "image/jxl";
    case Format::kJpeg2000:
      return "image/jp2";
    case Format::kTga:
      return "image/x-tga";
    case Format::kIco:
      return "image/vnd.microsoft.icon";
    case Format::kPsd:
      return "image/vnd.adobe.photoshop";
    case Format::kPcx:
      return "image/vnd.zbrush.pcx";
    case Format::kSgi:
      return "image/x-sgi";
    case Format::kXpm:
      return "image/x-xpixmap";
    case Format::kXbm:
      return "image/x-xbitmap";
    case Format::kUnknown:
    case Format::kCameraRaw:
      break;
  }
  return {};
}

std::vector<uint8_t> DesktopFailMarkerPng(const std::string& uri, const std::string& mtime,
                                          const std::string& reason) {
  std::vector<uint8_t> png = OnePixelPng();
  const PngText texts[] = {{"Thumb::URI", uri},
                           {"Thumb::MTime", mtime},
                           {"Software", std::string(DesktopSoftware())},
                           {std::string(kDesktopReasonKey), reason}};
  if (!AddPngText(texts, &png).ok()) {
    // Only a NUL byte in the reason can be refused; the marker matters more than the reason.
    png = OnePixelPng();
    AddPngText(std::span(texts).first(3), &png);
  }
  return png;
}

Status RecordDesktopFailure(OutputDir* cache, uint32_t flavours, const std::string& path,
                            const FileStamp& stamp, const std::string& reason) {
  const std::string uri = FileUri(path);
  for (int i = 0; i < kDesktopFlavourCount; ++i) {
    if ((flavours & (1u << i)) != 0) cache->Remove(DesktopThumbnailName(i, uri));
  }
  return cache->Replace(DesktopFailMarkerName(uri),
                        DesktopFailMarkerPng(uri, DesktopMTime(stamp.mtime_ns), reason),
                        kDesktopFileMode);
}

Status ReadDesktopThumbnailText(int folder_fd, const std::string& name,
                                std::vector<PngText>* texts) {
  const int fd = ::openat(folder_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::FromErrno(errno, "cannot open '{}'", EscapePath(name));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(fmt::format("'{}' is not a regular file", EscapePath(name)));
  }
  std::vector<uint8_t> head;
  Status status;
  for (const size_t want : {kFirstRead, kLongestHead}) {
    const size_t had = head.size();
    head.resize(want);
    const ssize_t n = ::pread(fd, head.data() + had, want - had, static_cast<off_t>(had));
    if (n < 0) {
      status = Status::FromErrno(errno, "cannot read '{}'", EscapePath(name));
      break;
    }
    head.resize(had + static_cast<size_t>(n));
    status = ReadPngText(head, texts);
    if (status.ok() || head.size() < want) break;  // read, or the whole file was not enough
  }
  ::close(fd);
  return status;
}

bool IsCurrentDesktopThumbnail(int folder_fd, const std::string& name,
                               const DesktopSource& source) {
  std::vector<PngText> texts;
  if (!ReadDesktopThumbnailText(folder_fd, name, &texts).ok()) return false;
  const std::string* uri = FindPngText(texts, "Thumb::URI");
  const std::string* mtime = FindPngText(texts, "Thumb::MTime");
  return uri != nullptr && mtime != nullptr && *uri == source.uri && *mtime == source.mtime;
}

}  // namespace thumbpipe
