#include "worker/decoders/heif_decoder.h"

#include <libheif/heif.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"

namespace thumbpipe {
namespace {

constexpr Format kHeif = Format::kHeif;

// True when a top-level box of the file (ISO BMFF) claims to reach past its end: libheif
// reports such a file as a missing box or an extent out of bounds, which is less clear.
bool BoxesRunPastTheEnd(std::span<const uint8_t> file) {
  const auto u32 = [&](size_t at) {
    return uint32_t{file[at]} << 24 | uint32_t{file[at + 1]} << 16 | uint32_t{file[at + 2]} << 8 |
           file[at + 3];
  };
  size_t at = 0;
  while (at < file.size()) {
    if (file.size() - at < 8) return true;
    uint64_t size = u32(at);
    if (size == 1) {  // a 64-bit size follows the type
      if (file.size() - at < 16) return true;
      size = uint64_t{u32(at + 8)} << 32 | u32(at + 12);
    } else if (size == 0) {  // the box reaches to the end of the file
      return false;
    }
    if (size < 8) return false;  // damaged, not short: libheif says what it makes of it
    if (size > file.size() - at) return true;
    at += size;
  }
  return false;
}

// The box a libheif "No '....' box" suberror names; empty for other suberrors.
std::string_view MissingBox(heif_suberror_code subcode) {
  switch (subcode) {
    case heif_suberror_No_ftyp_box:
      return "ftyp";
    case heif_suberror_No_idat_box:
      return "idat";
    case heif_suberror_No_meta_box:
      return "meta";
    case heif_suberror_No_hdlr_box:
      return "hdlr";
    case heif_suberror_No_hvcC_box:
      return "hvcC";
    case heif_suberror_No_pitm_box:
      return "pitm";
    case heif_suberror_No_ipco_box:
      return "ipco";
    case heif_suberror_No_ipma_box:
      return "ipma";
    case heif_suberror_No_iloc_box:
      return "iloc";
    case heif_suberror_No_iinf_box:
      return "iinf";
    case heif_suberror_No_iprp_box:
      return "iprp";
    case heif_suberror_No_iref_box:
      return "iref";
    case heif_suberror_No_infe_box:
      return "infe";
    case heif_suberror_No_av1C_box:
      return "av1C";
    default:
      return {};
  }
}

// libheif's error and suberror codes as reasons (decoder.h); its message texts are not used. A
// file cut short shows up as many different errors (a missing box, an extent out of bounds, a
// codec failing), so that is checked first.
Status Describe(const heif_error& error, std::span<const uint8_t> file) {
  if (error.code != heif_error_Memory_allocation_error &&
      (error.subcode == heif_suberror_End_of_data || BoxesRunPastTheEnd(file))) {
    return Truncated(kHeif);
  }
  switch (error.code) {
    case heif_error_Invalid_input:
      if (const std::string_view box = MissingBox(error.subcode); !box.empty())
        return CorruptHeader(kHeif, fmt::format("the '{}' box is missing", box));
      switch (error.subcode) {
        case heif_suberror_Invalid_box_size:
          return CorruptHeader(kHeif, "a box has an impossible size");
        case heif_suberror_No_pict_handler:
          return CorruptHeader(kHeif, "it holds no picture");
        case heif_suberror_No_or_invalid_primary_item:
          return CorruptHeader(kHeif, "the primary image is missing or invalid");
        case heif_suberror_Invalid_grid_data:
        case heif_suberror_Missing_grid_images:
        case heif_suberror_Wrong_tile_image_chroma_format:
        case heif_suberror_Wrong_tile_image_pixel_depth:
          return Corrupt(kHeif, "the grid of tiles is invalid");
        case heif_suberror_Invalid_clean_aperture:
        case heif_suberror_Invalid_overlay_data:
        case heif_suberror_Overlay_image_outside_of_canvas:
        case heif_suberror_Invalid_fractional_number:
        case heif_suberror_Invalid_image_size:
        case heif_suberror_Invalid_pixi_box:
          return CorruptHeader(kHeif, "an image property is invalid");
        case heif_suberror_Nonexisting_item_referenced:
        case heif_suberror_Ipma_box_references_nonexisting_property:
        case heif_suberror_No_properties_assigned_to_item:
        case heif_suberror_No_item_data:
          return CorruptHeader(kHeif, "an image refers to data that is not there");
        default:
          return Corrupt(kHeif);
      }
    case heif_error_Unsupported_filetype:
      return Unsupported(kHeif, "a brand libheif does not read");
    case heif_error_Unsupported_feature:
      switch (error.subcode) {
        case heif_suberror_Unsupported_codec:
          return Unsupported(kHeif, "a compression libheif cannot decode");
        case heif_suberror_Unsupported_image_type:
          return Unsupported(kHeif, "an image type libheif cannot decode");
        case heif_suberror_Unsupported_bit_depth:
          return Unsupported(kHeif, "a bit depth libheif cannot decode");
        case heif_suberror_Unsupported_color_conversion:
          return Unsupported(kHeif, "colours libheif cannot turn into RGB");
        default:
          return Unsupported(kHeif, "a feature libheif cannot read");
      }
    case heif_error_Memory_allocation_error:
      if (error.subcode == heif_suberror_Security_limit_exceeded)
        return Unsupported(kHeif, "more pixels, tiles or items than libheif's safety limits allow");
      return OutOfMemory(kHeif);
    case heif_error_Decoder_plugin_error:
      return Corrupt(kHeif, "its coded image does not decode");
    default:
      return DamagedOrUnsupported(kHeif);
  }
}

struct FreeContext {
  void operator()(heif_context* context) const { heif_context_free(context); }
};
struct ReleaseHandle {
  void operator()(heif_image_handle* handle) const { heif_image_handle_release(handle); }
};
struct ReleaseImage {
  void operator()(heif_image* image) const { heif_image_release(image); }
};
struct FreeOptions {
  void operator()(heif_decoding_options* options) const { heif_decoding_options_free(options); }
};
using Context = std::unique_ptr<heif_context, FreeContext>;
using Handle = std::unique_ptr<heif_image_handle, ReleaseHandle>;
using DecodedImage = std::unique_ptr<heif_image, ReleaseImage>;
using Options = std::unique_ptr<heif_decoding_options, FreeOptions>;

Size SizeOf(const heif_image_handle* handle) {
  return {static_cast<uint32_t>(std::max(heif_image_handle_get_width(handle), 0)),
          static_cast<uint32_t>(std::max(heif_image_handle_get_height(handle), 0))};
}

// True when `thumbnail` has `primary`'s shape to within one of its own pixels, so shrinking it
// to the box gives the picture the primary image would.
bool SameShape(Size thumbnail, Size primary) {
  const uint64_t a = uint64_t{thumbnail.width} * primary.height;
  const uint64_t b = uint64_t{thumbnail.height} * primary.width;
  return (a > b ? a - b : b - a) <= std::min(primary.width, primary.height);
}

// The smallest thumbnail item of `primary` that is at least `needed` on both sides, smaller
// than the primary image and of its shape; null if there is none.
Handle ThumbnailCovering(heif_image_handle* primary, Size full, Size needed) {
  const int count = heif_image_handle_get_number_of_thumbnails(primary);
  if (count <= 0) return nullptr;
  std::vector<heif_item_id> ids(static_cast<size_t>(count));
  const int listed = heif_image_handle_get_list_of_thumbnail_IDs(primary, ids.data(), count);
  Handle best;
  for (int i = 0; i < listed; ++i) {
    heif_image_handle* raw = nullptr;
    if (heif_image_handle_get_thumbnail(primary, ids[i], &raw).code != heif_error_Ok) continue;
    Handle thumbnail(raw);
    const Size size = SizeOf(thumbnail.get());
    if (size.width < needed.width || size.height < needed.height) continue;
    if (uint64_t{size.width} * size.height >= uint64_t{full.width} * full.height) continue;
    if (!SameShape(size, full)) continue;
    if (best == nullptr || uint64_t{size.width} * size.height <
                               uint64_t{SizeOf(best.get()).width} * SizeOf(best.get()).height) {
      best = std::move(thumbnail);
    }
  }
  return best;
}

// The colours as the image's colr box gives them: an ICC profile, or nclx code points (whose
// primaries libheif spells out as chromaticities). None: sRGB.
ColourSource ColourOf(const heif_image_handle* handle) {
  ColourSource source;
  switch (heif_image_handle_get_color_profile_type(handle)) {
    case heif_color_profile_type_prof:
    case heif_color_profile_type_rICC: {
      const size_t size = heif_image_handle_get_raw_color_profile_size(handle);
      if (size > ColourSource::kMaxProfileBytes) break;  // ignored unread
      source.icc.resize(size);
      if (source.icc.empty() ||
          heif_image_handle_get_raw_color_profile(handle, source.icc.data()).code !=
              heif_error_Ok) {
        source.icc.clear();
      }
      break;
    }
    case heif_color_profile_type_nclx: {
      heif_color_profile_nclx* nclx = nullptr;
      if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code != heif_error_Ok ||
          nclx == nullptr) {
        break;
      }
      if (nclx->color_primaries != heif_color_primaries_ITU_R_BT_709_5 &&
          nclx->color_primaries != heif_color_primaries_unspecified) {
        source.primaries = Chromaticities{nclx->color_primary_white_x, nclx->color_primary_white_y,
                                          nclx->color_primary_red_x,   nclx->color_primary_red_y,
                                          nclx->color_primary_green_x, nclx->color_primary_green_y,
                                          nclx->color_primary_blue_x,  nclx->color_primary_blue_y};
      }
      if (nclx->transfer_characteristics != heif_transfer_characteristic_unspecified) {
        source.cicp_transfer = static_cast<uint16_t>(nclx->transfer_characteristics);
      }
      heif_nclx_color_profile_free(nclx);
      break;
    }
    default:
      break;
  }
  return source;
}

}  // namespace

Status HeifDecoder::Decode(Input& input, const DecodeRequest& request, RowSink* sink) const {
  // Registers the codecs built into libheif, once per process; never undone.
  static const bool initialised = heif_init(nullptr).code == heif_error_Ok;
  if (!initialised) return Status::Error("HEIF/AVIF decoder could not start (libheif)");

  std::span<const uint8_t> file;
  if (Status status = input.Whole(&file); !status.ok()) return status;
  const Context context(heif_context_alloc());
  if (context == nullptr) return OutOfMemory(kHeif);
  heif_context_set_max_decoding_threads(context.get(), 0);  // tiles on this thread
  heif_error error =
      heif_context_read_from_memory_without_copy(context.get(), file.data(), file.size(), nullptr);
  if (error.code != heif_error_Ok) return Describe(error, file);
  heif_image_handle* raw_primary = nullptr;
  error = heif_context_get_primary_image_handle(context.get(), &raw_primary);
  if (error.code != heif_error_Ok) return Describe(error, file);
  const Handle primary(raw_primary);

  // The size as shown (rotation and crop applied) and as coded: both bound what is allocated.
  const Size full = SizeOf(primary.get());
  const Size coded{
      static_cast<uint32_t>(std::max(heif_image_handle_get_ispe_width(primary.get()), 0)),
      static_cast<uint32_t>(std::max(heif_image_handle_get_ispe_height(primary.get()), 0))};
  for (const Size size : {coded, full}) {
    if (!WithinPixelLimit(size, request.max_pixels))
      return TooManyPixels(kHeif, size, request.max_pixels);
  }
  if (full.width == 0 || full.height == 0) {
    return CorruptHeader(kHeif, fmt::format("it claims {}x{} pixels", full.width, full.height));
  }

  const Size needed = request.needed_size(full);
  Handle thumbnail = ThumbnailCovering(primary.get(), full, needed);
  const heif_image_handle* chosen = thumbnail != nullptr ? thumbnail.get() : primary.get();
  const Size rows = SizeOf(chosen);
  if (thumbnail != nullptr) {
    LogVerbose("HEIF: decoding the embedded {}x{} thumbnail, not the {}x{} image", rows.width,
               rows.height, full.width, full.height);
  } else {
    LogVerbose("HEIF: decoding the {}x{} image (no embedded thumbnail covers {}x{})", full.width,
               full.height, needed.width, needed.height);
  }

  const bool alpha = heif_image_handle_has_alpha_channel(chosen) != 0;
  const uint32_t channels = alpha ? 4 : 3;
  const Options options(heif_decoding_options_alloc());
  if (options == nullptr) return OutOfMemory(kHeif);
  options->ignore_transformations = 0;  // irot/imir/clap applied: the rows come out upright
  options->convert_hdr_to_8bit = 1;
  heif_image* raw_image = nullptr;
  error = heif_decode_image(chosen, &raw_image, heif_colorspace_RGB,
                            alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB,
                            options.get());
  const DecodedImage image(raw_image);
  if (error.code != heif_error_Ok) return Describe(error, file);

  int stride = 0;
  const uint8_t* pixels =
      heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  const int width = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int height = heif_image_get_height(image.get(), heif_channel_interleaved);
  if (pixels == nullptr || width <= 0 || height <= 0 || stride < width * static_cast<int>(channels))
    return Unsupported(kHeif, "a layout libheif cannot deliver as 8-bit RGB");
  const Size decoded{static_cast<uint32_t>(width), static_cast<uint32_t>(height)};
  // A thumbnail item whose own transformations disagree with what its handle said cannot be
  // trusted to cover the box; the primary image always gives its own size.
  if (decoded.width < needed.width || decoded.height < needed.height) {
    return Corrupt(kHeif,
                   fmt::format("the image decodes to {}x{}, smaller than the {}x{} it claims",
                               decoded.width, decoded.height, rows.width, rows.height));
  }

  // A thumbnail item may say nothing of its colours; then they are the primary image's.
  ColourSource colour = ColourOf(chosen);
  if (colour.IsSrgbByDeclaration() && chosen != primary.get() &&
      heif_image_handle_get_color_profile_type(chosen) == heif_color_profile_type_not_present) {
    colour = ColourOf(primary.get());
  }
  if (!colour.IsSrgbByDeclaration()) sink->SetColour(std::move(colour));
  Status status = sink->Begin(full, decoded, channels, 1);
  for (uint32_t y = 0; status.ok() && y < decoded.height; ++y)
    sink->Row(pixels + static_cast<size_t>(y) * static_cast<size_t>(stride));
  return status;
}

}  // namespace thumbpipe

extern "C" __attribute__((visibility("default"))) const thumbpipe::Decoder*
thumbpipe_heif_decoder() {
  static const thumbpipe::HeifDecoder decoder;
  return &decoder;
}
