#include "common/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

#include <fmt/format.h>

#include "common/log.h"

namespace thumbpipe {

struct Sha256::Impl {
  EVP_MD_CTX* context = nullptr;
};

namespace {

// The OpenSSL calls below fail only on allocation failure or a broken library; neither is
// something a caller could act on.
void Check(int ok, const char* what) {
  if (ok != 1) {
    LogError("OpenSSL {} failed", what);
    std::abort();
  }
}

// Fetched once: EVP_sha256() makes every EVP_DigestInit_ex look the algorithm up again, which
// costs as much as hashing a small thumbnail.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  Check(algorithm != nullptr, "EVP_MD_fetch");
  return algorithm;
}

const EVP_MD* Md5Algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "MD5", nullptr);
  Check(algorithm != nullptr, "EVP_MD_fetch");
  return algorithm;
}

std::string Hex(const unsigned char* digest, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (unsigned int i = 0; i < size; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 0xF];
  }
  return hex;
}

}  // namespace

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->context = EVP_MD_CTX_new();
  Check(impl_->context != nullptr, "EVP_MD_CTX_new");
  Check(EVP_DigestInit_ex(impl_->context, Sha256Algorithm(), nullptr), "EVP_DigestInit_ex");
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->context); }

void Sha256::Update(std::span<const unsigned char> bytes) {
  Check(EVP_DigestUpdate(impl_->context, bytes.data(), bytes.size()), "EVP_DigestUpdate");
}

void Sha256::Update(std::string_view bytes) {
  Check(EVP_DigestUpdate(impl_->context, bytes.data(), bytes.size()), "EVP_DigestUpdate");
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  Check(EVP_DigestFinal_ex(impl_->context, digest, &size), "EVP_DigestFinal_ex");
  return Hex(digest, size);
}

std::string Md5Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  Check(EVP_Digest(bytes.data(), bytes.size(), digest, &size, Md5Algorithm(), nullptr),
        "EVP_Digest");
  return Hex(digest, size);
}

}  // namespace thumbpipe
