// SHA-256 (OpenSSL EVP) with a lowercase hex digest: the thumbnail naming hash. Used by the
// workers. The only user of OpenSSL.
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

}  // namespace thumbpipe
