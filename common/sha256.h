// SHA-256 (OpenSSL EVP) with a lowercase hex digest: the thumbnail naming hash. Used by the
// workers. And MD5, the name of a file's thumbnail in the freedesktop.org cache
// (common/desktop_cache.h), used by the producer and the workers. The only user of OpenSSL.
#pragma once

#include <memory>
#include <span>
#include <string>

namespace thumbpipe {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const unsigned char> bytes);
  void Update(std::string_view bytes);
  // Returns the 64-character lowercase hex digest; the object may not be updated after.
  std::string HexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The 32-character lowercase hex MD5 of `bytes`. MD5 only because the freedesktop.org
// Thumbnail Managing Standard names thumbnails by it; never for anything that must resist
// collisions.
std::string Md5Hex(std::string_view bytes);

}  // namespace thumbpipe
