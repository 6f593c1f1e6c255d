#include "worker/colour/colour_transform.h"

#include <lcms2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "worker/colour/matrix_shaper.h"

namespace thumbpipe {
namespace {

struct CloseProfile {
  void operator()(void* profile) const { cmsCloseProfile(profile); }
};
using Profile = std::unique_ptr<void, CloseProfile>;

struct FreeCurve {
  void operator()(cmsToneCurve* curve) const { cmsFreeToneCurve(curve); }
};
using Curve = std::unique_ptr<cmsToneCurve, FreeCurve>;

class LcmsTransform final : public ColourTransform {
 public:
  LcmsTransform(cmsHTRANSFORM transform, uint32_t in, uint32_t out)
      : transform_(transform), in_(in), out_(out) {}
  ~LcmsTransform() override { cmsDeleteTransform(transform_); }
  LcmsTransform(const LcmsTransform&) = delete;
  LcmsTransform& operator=(const LcmsTransform&) = delete;

  uint32_t in_channels() const override { return in_; }
  uint32_t out_channels() const override { return out_; }
  void Convert(const uint8_t* in, uint8_t* out, uint32_t width) const override {
    cmsDoTransform(transform_, in, out, width);
  }

 private:
  cmsHTRANSFORM transform_;
  uint32_t in_, out_;
};

// Grey, by a table of all 256 levels: lcms2's optimised grey transforms lose steep curves
// (a gamma below 1 comes out 70 levels off near black), so the table is filled by its exact
// pipeline once. Alpha, if any, is copied.
class GreyTable final : public ColourTransform {
 public:
  GreyTable(const uint8_t (&table)[256], uint32_t channels) : channels_(channels) {
    std::copy(std::begin(table), std::end(table), table_);
  }
  uint32_t in_channels() const override { return channels_; }
  uint32_t out_channels() const override { return channels_; }
  void Convert(const uint8_t* in, uint8_t* out, uint32_t width) const override {
    if (channels_ == 1) {
      for (uint32_t x = 0; x < width; ++x) out[x] = table_[in[x]];
      return;
    }
    for (uint32_t x = 0; x < width; ++x, in += 2, out += 2) {
      out[0] = table_[in[0]];
      out[1] = in[1];
    }
  }

 private:
  uint8_t table_[256];
  uint32_t channels_;
};

// CMYK without any profile to read it by: ink taken away from white, channel by channel.
class NaiveCmyk final : public ColourTransform {
 public:
  explicit NaiveCmyk(bool inverted) : inverted_(inverted) {}
  uint32_t in_channels() const override { return 4; }
  uint32_t out_channels() const override { return 3; }
  void Convert(const uint8_t* in, uint8_t* out, uint32_t width) const override {
    for (uint32_t x = 0; x < width; ++x, in += 4, out += 3) {
      const uint32_t white_k = inverted_ ? in[3] : 255u - in[3];
      for (int i = 0; i < 3; ++i) {
        const uint32_t white_c = inverted_ ? in[i] : 255u - in[i];
        out[i] = static_cast<uint8_t>((white_c * white_k + 127) / 255);
      }
    }
  }

 private:
  bool inverted_;
};

void IgnoreLcmsError(cmsContext, cmsUInt32Number, const char*) {}

// lcms2 reports damaged profiles through a global handler; they are simply not used.
void SilenceLcms() {
  static const bool silenced = [] {
    cmsSetLogErrorHandler(IgnoreLcmsError);
    return true;
  }();
  (void)silenced;
}

cmsUInt32Number PixelType(uint32_t channels) { return channels == 3 ? TYPE_RGB_8 : TYPE_RGBA_8; }

// IEC 61966-2-1: Y = ((X + 0.055) / 1.055)^2.4 above 0.04045, X / 12.92 below.
Curve SrgbCurve() {
  const double params[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
  return Curve(cmsBuildParametricToneCurve(nullptr, 4, params));
}

// The decoding curve of an ITU-T H.273 transfer_characteristics code; sRGB's for codes that
// name no simple curve (PQ and HLG need tone mapping, which is not done).
Curve CicpCurve(uint16_t code) {
  switch (code) {
    case 1:     // BT.709
    case 6:     // BT.601
    case 14:    // BT.2020 10-bit
    case 15: {  // BT.2020 12-bit
      // The inverse of V = 1.099 L^0.45 - 0.099 (L >= 0.018), V = 4.5 L below.
      const double params[5] = {1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081};
      return Curve(cmsBuildParametricToneCurve(nullptr, 4, params));
    }
    case 4:
      return Curve(cmsBuildGamma(nullptr, 2.2));
    case 5:
      return Curve(cmsBuildGamma(nullptr, 2.8));
    case 8:
      return Curve(cmsBuildGamma(nullptr, 1.0));
    default:
      return SrgbCurve();
  }
}

constexpr Chromaticities kSrgbPrimaries{0.3127, 0.3290, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06};

bool Near(double a, double b, double tolerance) { return std::fabs(a - b) <= tolerance; }

bool IsSrgbPrimaries(const Chromaticities& c) {
  constexpr double kTolerance = 0.01;
  return Near(c.white_x, kSrgbPrimaries.white_x, kTolerance) &&
         Near(c.white_y, kSrgbPrimaries.white_y, kTolerance) &&
         Near(c.red_x, kSrgbPrimaries.red_x, kTolerance) &&
         Near(c.red_y, kSrgbPrimaries.red_y, kTolerance) &&
         Near(c.green_x, kSrgbPrimaries.green_x, kTolerance) &&
         Near(c.green_y, kSrgbPrimaries.green_y, kTolerance) &&
         Near(c.blue_x, kSrgbPrimaries.blue_x, kTolerance) &&
         Near(c.blue_y, kSrgbPrimaries.blue_y, kTolerance);
}

bool IsUsablePoint(double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && x > 0 && y > 0 && x + y <= 1;
}

bool IsUsable(const Chromaticities& c) {
  return IsUsablePoint(c.white_x, c.white_y) && IsUsablePoint(c.red_x, c.red_y) &&
         IsUsablePoint(c.green_x, c.green_y) && IsUsablePoint(c.blue_x, c.blue_y);
}

// "sRGB" as most tools write it into a PNG: gAMA 1/2.2, and sRGB's primaries or none.
bool DescribesSrgb(const ColourSource& source) {
  if (source.IsSrgbByDeclaration()) return true;
  if (source.primaries && !IsSrgbPrimaries(*source.primaries)) return false;
  if (source.file_gamma) return Near(*source.file_gamma, 1 / 2.2, 0.01 / 2.2);
  return source.cicp_transfer == 0 || source.cicp_transfer == 13;
}

// A profile for a description without ICC (PNG gAMA/cHRM, nclx); null if it cannot be made.
Profile ProfileFromDescription(const ColourSource& source, bool grey) {
  Curve curve;
  if (source.file_gamma) {
    const double gamma = *source.file_gamma;
    if (!std::isfinite(gamma) || gamma < 0.01 || gamma > 10) return nullptr;
    curve = Curve(cmsBuildGamma(nullptr, 1 / gamma));
  } else {
    curve = CicpCurve(source.cicp_transfer);
  }
  if (curve == nullptr) return nullptr;
  if (grey) return Profile(cmsCreateGrayProfile(cmsD50_xyY(), curve.get()));
  const Chromaticities c = source.primaries.value_or(kSrgbPrimaries);
  if (!IsUsable(c)) return nullptr;
  const cmsCIExyY white{c.white_x, c.white_y, 1.0};
  const cmsCIExyYTRIPLE primaries{
      {c.red_x, c.red_y, 1.0}, {c.green_x, c.green_y, 1.0}, {c.blue_x, c.blue_y, 1.0}};
  cmsToneCurve* curves[3] = {curve.get(), curve.get(), curve.get()};
  return Profile(cmsCreateRGBProfile(&white, &primaries, curves));
}

Profile SrgbProfile(bool grey) {
  if (!grey) return Profile(cmsCreate_sRGBProfile());
  const Curve curve = SrgbCurve();
  return Profile(cmsCreateGrayProfile(cmsD50_xyY(), curve.get()));
}

Profile ProfileFromIcc(std::span<const uint8_t> icc) {
  if (icc.empty() || icc.size() > ColourSource::kMaxProfileBytes) return nullptr;
  return Profile(cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size())));
}

// The RGB samples of a grid spanning every level (alpha opaque).
std::vector<uint8_t> Grid(uint32_t channels) {
  std::vector<uint8_t> grid;
  for (int r = 0; r < 256; r += 15) {
    for (int g = 0; g < 256; g += 15) {
      for (int b = 0; b < 256; b += 15) {
        grid.insert(grid.end(),
                    {static_cast<uint8_t>(r), static_cast<uint8_t>(g), static_cast<uint8_t>(b)});
        if (channels == 4) grid.push_back(255);
      }
    }
  }
  return grid;
}

// `transform`'s output for the pixels `in` (of its own channels).
std::vector<uint8_t> Converted(const ColourTransform& transform, const std::vector<uint8_t>& in) {
  std::vector<uint8_t> out(in.size());
  transform.Convert(in.data(), out.data(),
                    static_cast<uint32_t>(in.size() / transform.in_channels()));
  return out;
}

// The largest difference between two sample lists of the same length.
int LargestDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int largest = 0;
  for (size_t i = 0; i < a.size(); ++i)
    largest = std::max(largest, std::abs(int{a[i]} - int{b[i]}));
  return largest;
}

// True when `transform` moves no sample of a grid spanning every level by more than one.
bool ChangesNothing(const ColourTransform& transform, uint32_t channels) {
  std::vector<uint8_t> in;
  if (channels <= 2) {
    for (int v = 0; v < 256; ++v) {
      in.push_back(static_cast<uint8_t>(v));
      if (channels == 2) in.push_back(255);
    }
  } else {
    in = Grid(channels);
  }
  return LargestDifference(in, Converted(transform, in)) <= 1;
}

// Inverts a 3x3 matrix; false if it is singular.
bool Invert(const double (&m)[3][3], double (&inverse)[3][3]) {
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  if (!std::isfinite(det) || std::fabs(det) < 1e-12) return false;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      // The cofactor of m[j][i], over the determinant.
      const int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
      inverse[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
    }
  }
  return true;
}

// The matrix from a matrix-shaper profile's linear RGB to PCS XYZ: its colorants as columns.
bool ColorantMatrix(cmsHPROFILE profile, double (&m)[3][3]) {
  const cmsTagSignature tags[3] = {cmsSigRedColorantTag, cmsSigGreenColorantTag,
                                   cmsSigBlueColorantTag};
  for (int c = 0; c < 3; ++c) {
    const auto* xyz = static_cast<const cmsCIEXYZ*>(cmsReadTag(profile, tags[c]));
    if (xyz == nullptr) return false;
    m[0][c] = xyz->X;
    m[1][c] = xyz->Y;
    m[2][c] = xyz->Z;
  }
  return true;
}

const cmsToneCurve* TrcOf(cmsHPROFILE profile, int channel) {
  const cmsTagSignature tags[3] = {cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag};
  return static_cast<const cmsToneCurve*>(cmsReadTag(profile, tags[channel]));
}

// For RGB(A) from a matrix-shaper profile `in` to sRGB (`out`, also matrix-shaper): the same
// conversion as `lcms`, evaluated by MatrixShaper; null where the profile has other tables
// (D2B0, A2B0) for the perceptual intent, or where the two disagree by more than one level anywhere
// on a grid spanning every level (lcms2 then stays in charge).
std::shared_ptr<const ColourTransform> FastMatrixShaper(cmsHPROFILE in, cmsHPROFILE out,
                                                        uint32_t channels,
                                                        const ColourTransform& lcms) {
  // lcms2 prefers a D2B0 (floating point) table to everything else, then A2B0.
  if (!cmsIsMatrixShaper(in) || cmsIsTag(in, cmsSigDToB0Tag) ||
      cmsIsCLUT(in, INTENT_PERCEPTUAL, LCMS_USED_AS_INPUT) || !cmsIsMatrixShaper(out)) {
    return nullptr;
  }
  double in_matrix[3][3], out_matrix[3][3], out_inverse[3][3], to_srgb[3][3];
  if (!ColorantMatrix(in, in_matrix) || !ColorantMatrix(out, out_matrix) ||
      !Invert(out_matrix, out_inverse)) {
    return nullptr;
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      to_srgb[i][j] = 0;
      for (int k = 0; k < 3; ++k) to_srgb[i][j] += out_inverse[i][k] * in_matrix[k][j];
    }
  }
  float linear[3][256];
  for (int c = 0; c < 3; ++c) {
    const cmsToneCurve* curve = TrcOf(in, c);
    if (curve == nullptr) return nullptr;
    for (int v = 0; v < 256; ++v) {
      linear[c][v] = cmsEvalToneCurveFloat(curve, static_cast<cmsFloat32Number>(v) / 255);
      if (!std::isfinite(linear[c][v])) return nullptr;
    }
  }
  const cmsToneCurve* srgb = TrcOf(out, 0);
  if (srgb == nullptr) return nullptr;
  double srgb_steps[255];
  for (int k = 0; k < 255; ++k) {
    srgb_steps[k] = cmsEvalToneCurveFloat(srgb, (static_cast<cmsFloat32Number>(k) + 0.5f) / 255);
  }
  auto fast = std::make_shared<MatrixShaper>(linear, to_srgb, srgb_steps, channels);
  // Checked on a grid spanning every level, and on every grey.
  std::vector<uint8_t> grid = Grid(channels);
  for (int v = 0; v < 256; ++v) {
    grid.insert(grid.end(), 3, static_cast<uint8_t>(v));
    if (channels == 4) grid.push_back(255);
  }
  if (LargestDifference(Converted(*fast, grid), Converted(lcms, grid)) > 1) return nullptr;
  return fast;
}

std::shared_ptr<const ColourTransform> BuildToSrgb(const ColourSource& source, uint32_t channels) {
  const bool grey = channels <= 2;
  Profile in;
  if (!source.icc.empty()) {
    in = ProfileFromIcc(source.icc);
  } else if (!DescribesSrgb(source)) {
    in = ProfileFromDescription(source, grey);
  }
  if (in == nullptr) return nullptr;
  if (cmsGetColorSpace(in.get()) != (grey ? cmsSigGrayData : cmsSigRgbData)) return nullptr;
  const Profile out = SrgbProfile(grey);
  if (out == nullptr) return nullptr;
  std::shared_ptr<const ColourTransform> transform;
  if (grey) {
    cmsHTRANSFORM handle = cmsCreateTransform(in.get(), TYPE_GRAY_8, out.get(), TYPE_GRAY_8,
                                              INTENT_PERCEPTUAL, cmsFLAGS_NOOPTIMIZE);
    if (handle == nullptr) return nullptr;
    uint8_t levels[256], table[256];
    for (int v = 0; v < 256; ++v) levels[v] = static_cast<uint8_t>(v);
    cmsDoTransform(handle, levels, table, 256);
    cmsDeleteTransform(handle);
    transform = std::make_shared<GreyTable>(table, channels);
  } else {
    const cmsUInt32Number type = PixelType(channels);
    const cmsUInt32Number flags = channels == 4 ? cmsFLAGS_COPY_ALPHA : 0;
    cmsHTRANSFORM handle =
        cmsCreateTransform(in.get(), type, out.get(), type, INTENT_PERCEPTUAL, flags);
    if (handle == nullptr) return nullptr;
    transform = std::make_shared<LcmsTransform>(handle, channels, channels);
    if (auto fast = FastMatrixShaper(in.get(), out.get(), channels, *transform)) {
      transform = std::move(fast);
    }
  }
  if (ChangesNothing(*transform, channels)) return nullptr;
  return transform;
}

std::vector<uint8_t> ReadFile(const char* path) {
  std::vector<uint8_t> bytes;
  std::FILE* file = std::fopen(path, "rb");
  if (file == nullptr) return bytes;
  uint8_t buffer[1 << 14];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    bytes.insert(bytes.end(), buffer, buffer + got);
    if (bytes.size() > ColourSource::kMaxProfileBytes) break;
  }
  std::fclose(file);
  return bytes;
}

std::shared_ptr<const ColourTransform> BuildCmykToSrgb(std::span<const uint8_t> icc,
                                                       bool inverted) {
  Profile in = ProfileFromIcc(icc);
  if (in != nullptr && cmsGetColorSpace(in.get()) != cmsSigCmykData) in = nullptr;
  if (in == nullptr) {
    static const std::vector<uint8_t> fallback =
        ReadFile(ColourTransform::DefaultCmykProfilePath());
    in = ProfileFromIcc(fallback);
    if (in != nullptr && cmsGetColorSpace(in.get()) != cmsSigCmykData) in = nullptr;
  }
  const Profile out = SrgbProfile(false);
  if (in != nullptr && out != nullptr) {
    cmsHTRANSFORM handle = cmsCreateTransform(in.get(), inverted ? TYPE_CMYK_8_REV : TYPE_CMYK_8,
                                              out.get(), TYPE_RGB_8, INTENT_PERCEPTUAL, 0);
    if (handle != nullptr) return std::make_shared<LcmsTransform>(handle, 4, 3);
  }
  return std::make_shared<NaiveCmyk>(inverted);
}

// The transforms built so far, newest use first. A key holds everything a transform depends
// on; a null transform ("leave the rows alone") is remembered too.
class Cache {
 public:
  template <typename Build>
  std::shared_ptr<const ColourTransform> Get(std::string key, Build build) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].key == key) {
        std::rotate(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i),
                    entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        return entries_.front().transform;
      }
    }
    auto transform = build();
    if (entries_.size() == kEntries) entries_.pop_back();
    entries_.insert(entries_.begin(), Entry{std::move(key), transform});
    return transform;
  }

 private:
  static constexpr size_t kEntries = 16;
  struct Entry {
    std::string key;
    std::shared_ptr<const ColourTransform> transform;
  };
  std::vector<Entry> entries_;
};

Cache& TheCache() {
  static Cache cache;
  return cache;
}

void AppendNumber(std::string* key, double value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  key->append(bytes, sizeof bytes);
}

// A profile in a cache key: its size and SHA-256, not its bytes (which may be megabytes).
std::string IccKey(std::span<const uint8_t> icc) {
  Sha256 hash;
  hash.Update(icc);
  return std::to_string(icc.size()) + ":" + hash.HexDigest();
}

std::string KeyOf(const ColourSource& source, uint32_t channels) {
  std::string key(1, static_cast<char>('0' + channels));
  if (!source.icc.empty()) {
    key += 'i';
    key += IccKey(source.icc);
    return key;
  }
  key += 'd';
  if (source.primaries) {
    const Chromaticities& c = *source.primaries;
    for (double v :
         {c.white_x, c.white_y, c.red_x, c.red_y, c.green_x, c.green_y, c.blue_x, c.blue_y}) {
      AppendNumber(&key, v);
    }
  }
  key += source.file_gamma ? 'g' : '-';
  AppendNumber(&key, source.file_gamma.value_or(0));
  AppendNumber(&key, source.cicp_transfer);
  return key;
}

}  // namespace

std::shared_ptr<const ColourTransform> ColourTransform::ToSrgb(const ColourSource& source,
                                                               uint32_t channels) {
  if (channels < 1 || channels > 4 || source.IsSrgbByDeclaration()) return nullptr;
  if (source.icc.size() > ColourSource::kMaxProfileBytes) return nullptr;  // ignored unread
  SilenceLcms();
  return TheCache().Get(KeyOf(source, channels), [&] { return BuildToSrgb(source, channels); });
}

std::shared_ptr<const ColourTransform> ColourTransform::CmykToSrgb(std::span<const uint8_t> icc,
                                                                   bool inverted) {
  SilenceLcms();
  if (icc.size() > ColourSource::kMaxProfileBytes) icc = {};  // ignored unread
  std::string key = inverted ? "ci" : "cn";
  key += IccKey(icc);
  return TheCache().Get(std::move(key), [&] { return BuildCmykToSrgb(icc, inverted); });
}

const char* ColourTransform::DefaultCmykProfilePath() { return THUMBPIPE_DEFAULT_CMYK_PROFILE; }

}  // namespace thumbpipe
