#!/usr/bin/python3
"""Makes the colour test's images with Pillow and its ImageCms (lcms2), independently of
thumbpipe's own colour code.

usage: colour_images.py OUT DISPLAY_P3_ICC [--cmyk-jpeg FILE] SOURCE...

For each SOURCE (an sRGB image, shrunk here to at most 360x360, so that a JPEG of it is
decoded at full size for a 200x200 box and only colours make the difference) and a synthetic chart of
saturated hues, it writes:
  OUT/tagged/<stem>-<space>.<ext>     the image converted to <space> (Adobe RGB, ProPhoto,
                                      Display P3, CMYK) and saved with that profile embedded,
                                      in JPEG, PNG, WebP (lossless) and TIFF (CMYK: JPEG, TIFF)
  OUT/reference/<same name>.png       the tagged file as Pillow reads it, converted back to
                                      sRGB by ImageCms (perceptual intent) and saved untagged
  OUT/raw/<same name>.png             the tagged file's samples saved untagged: what a
                                      thumbnailer that ignores profiles would show
The first SOURCE comes also at its full size, as <stem>-full-<space>.png and .tif (RGB spaces
only): large enough for thumbpipe to average blocks of it before converting.
With --cmyk-jpeg, a CMYK or YCCK JPEG without a profile is copied in as it is, as
<stem>-as-is.jpg, its reference read through the default CMYK profile.
And two files that differ only in an embedded sRGB profile:
  OUT/srgb/<stem>-untagged.jpg, OUT/srgb/<stem>-tagged.jpg
CMYK comes twice: once with a profile embedded (Ghostscript's PS CMYK), once with none (read
through Ghostscript's default CMYK profile, as thumbpipe must when a file has none).
"""
import colorsys
import os
import sys

from PIL import Image, ImageCms

COLORD = "/usr/share/color/icc/colord"
GHOSTSCRIPT = "/usr/share/color/icc/ghostscript"
SRGB = ImageCms.createProfile("sRGB")
PERCEPTUAL = ImageCms.Intent.PERCEPTUAL


def chart():
    """Every hue at several saturations and values, in bands: colours at the edge of sRGB."""
    width, height = 360, 240
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    for y in range(height):
        saturation = 1.0 - (y // 40) * 0.15
        value = 1.0 - (y % 40) / 80
        for x in range(width):
            r, g, b = colorsys.hsv_to_rgb(x / width, saturation, value)
            pixels[x, y] = (round(r * 255), round(g * 255), round(b * 255))
    return image


def profile_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def save(image, path, icc):
    extra = {} if icc is None else {"icc_profile": icc}
    ext = os.path.splitext(path)[1]
    if ext == ".jpg":
        image.save(path, "JPEG", quality=95, **extra)
    elif ext == ".png":
        image.save(path, "PNG", **extra)
    elif ext == ".webp":
        image.save(path, "WEBP", lossless=True, **extra)
    else:
        image.save(path, "TIFF", compression="tiff_deflate", **extra)


def write_case(out, name, image, icc, read_profile):
    """Saves `image` (with `icc` embedded, or none) and its reference and raw versions."""
    tagged = os.path.join(out, "tagged", name)
    save(image, tagged, icc)
    with Image.open(tagged) as reread:
        reread.load()
        if icc is not None and reread.info.get("icc_profile") != icc:
            sys.exit(f"{tagged}: Pillow did not embed the profile")
        reference = ImageCms.profileToProfile(
            reread, read_profile, SRGB, renderingIntent=PERCEPTUAL, outputMode="RGB")
        # Pillow would carry the source's profile over into a PNG; these are saved untagged.
        reference.save(os.path.join(out, "reference", name + ".png"), icc_profile=None)
        raw = reread if reread.mode == "RGB" else reread.convert("RGB")
        raw.save(os.path.join(out, "raw", name + ".png"), icc_profile=None)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, p3_path, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
    cmyk_jpeg = None
    if sources[:1] == ["--cmyk-jpeg"]:
        cmyk_jpeg, sources = sources[1], sources[2:]
    for folder in ("tagged", "reference", "raw", "srgb"):
        os.makedirs(os.path.join(out, folder), exist_ok=True)
    rgb_spaces = {
        "adobe-rgb": os.path.join(COLORD, "AdobeRGB1998.icc"),
        "prophoto": os.path.join(COLORD, "ProPhotoRGB.icc"),
        "display-p3": p3_path,
    }
    default_cmyk = ImageCms.getOpenProfile(os.path.join(GHOSTSCRIPT, "default_cmyk.icc"))
    ps_cmyk_path = os.path.join(GHOSTSCRIPT, "ps_cmyk.icc")
    images = {"chart": chart()}
    with Image.open(sources[0]) as image:
        full_stem = os.path.splitext(os.path.basename(sources[0]))[0] + "-full"
        full = image.convert("RGB")
    for source in sources:
        with Image.open(source) as image:
            image = image.convert("RGB")
            image.thumbnail((360, 360), Image.Resampling.LANCZOS)
            images[os.path.splitext(os.path.basename(source))[0]] = image
    for stem, image in images.items():
        for space, path in rgb_spaces.items():
            profile = ImageCms.getOpenProfile(path)
            converted = ImageCms.profileToProfile(
                image, SRGB, profile, renderingIntent=PERCEPTUAL, outputMode="RGB")
            for ext in ("jpg", "png", "webp", "tif"):
                write_case(out, f"{stem}-{space}.{ext}", converted, profile_bytes(path), profile)
        # The same inks read two ways: through the embedded PS CMYK profile, and through the
        # default profile when none is embedded.
        inks = ImageCms.profileToProfile(
            image, SRGB, default_cmyk, renderingIntent=PERCEPTUAL, outputMode="CMYK")
        ps_cmyk = ImageCms.getOpenProfile(ps_cmyk_path)
        for ext in ("jpg", "tif"):
            write_case(out, f"{stem}-cmyk.{ext}", inks, profile_bytes(ps_cmyk_path), ps_cmyk)
            write_case(out, f"{stem}-cmyk-untagged.{ext}", inks, None, default_cmyk)
        save(image, os.path.join(out, "srgb", f"{stem}-untagged.jpg"), None)
        save(image, os.path.join(out, "srgb", f"{stem}-tagged.jpg"),
             profile_bytes(os.path.join(COLORD, "sRGB.icc")))
    main_full(out, full_stem, full, rgb_spaces)
    if cmyk_jpeg is not None:
        copy_cmyk_jpeg(out, cmyk_jpeg, default_cmyk)


def copy_cmyk_jpeg(out, path, default_cmyk):
    name = os.path.splitext(os.path.basename(path))[0] + "-as-is.jpg"
    with open(path, "rb") as f:
        data = f.read()
    with open(os.path.join(out, "tagged", name), "wb") as f:
        f.write(data)
    with Image.open(path) as image:
        image.load()
        if image.mode != "CMYK" or "icc_profile" in image.info:
            sys.exit(f"{path}: not a CMYK JPEG without a profile")
        reference = ImageCms.profileToProfile(
            image, default_cmyk, SRGB, renderingIntent=PERCEPTUAL, outputMode="RGB")
        reference.save(os.path.join(out, "reference", name + ".png"), icc_profile=None)
        image.convert("RGB").save(os.path.join(out, "raw", name + ".png"), icc_profile=None)


def main_full(out, full_stem, full, rgb_spaces):
    for space, path in rgb_spaces.items():
        profile = ImageCms.getOpenProfile(path)
        converted = ImageCms.profileToProfile(
            full, SRGB, profile, renderingIntent=PERCEPTUAL, outputMode="RGB")
        for ext in ("png", "tif"):
            write_case(out, f"{full_stem}-{space}.{ext}", converted, profile_bytes(path), profile)


if __name__ == "__main__":
    main()
