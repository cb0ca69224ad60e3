"""Tests for jobs.compress (decoding, normalizing, the keep-source rule) through the stored copy
the worker makes of it: one rendition of jobs.ladder."""

from __future__ import annotations

import struct
import warnings
import zlib
from collections.abc import Callable

import pytest
from PIL import ExifTags, Image, ImageChops, ImageFile, ImageStat

from jobs import compress
from jobs.compress import (
    CompressOptions,
    SourceInfo,
    can_keep_source,
    decode,
    fit,
    flatten,
    normalize,
)
from jobs.errors import ImageRejectedError
from jobs.ladder import LadderOptions, Rendition, format_quality, render_ladder, resized
from jobs.ladder import encode as encode_as
from models.failures import FailureCode
from tests.support.hostile_images import (
    SECRETS,
    hostile_jpeg,
    hostile_png,
    hostile_webp,
    opened,
    photo_image,
    saved,
    sixteen_bit_png,
    srgb_profile,
)
from tests.support.photos import PHOTOS

PHOTO_NAMES = ["chelsea.png", "coffee.png", "rocket.jpg", "logo.png", "no_time_for_that_tiny.gif"]


def one_copy(format: str = "jpeg", quality: int = 80, max_dimension: int = 1600,  # noqa: A002
            max_pixels: int = 50_000_000) -> LadderOptions:
    """A ladder of one rendition: the stored copy of one format at the largest width, made
    by the worker's own code (jobs.ladder on jobs.compress)."""
    return LadderOptions(widths=(max_dimension,), formats=(format,), required=format,
                         quality=quality, max_dimension=max_dimension, max_pixels=max_pixels)


def compress_image(source: bytes, opts: LadderOptions) -> Rendition:
    return render_ladder(source, opts).renditions[0]


def encode(image: Image.Image, opts: LadderOptions) -> bytes:
    return encode_as(image, opts.required, format_quality(opts.required, opts.quality))


def resize(image: Image.Image, max_dimension: int) -> Image.Image:
    if max(image.size) <= max_dimension:
        return image
    return resized(image, fit(image.width, image.height, max_dimension))


DEFAULTS = one_copy()
WEBP = one_copy(format="webp")
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def _photo(name: str) -> bytes:
    return (PHOTOS / name).read_bytes()








def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 8) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _two_halves(size: tuple[int, int], first: tuple, second: tuple) -> Image.Image:
    """Left half ``first``, right half ``second``: shows where pixels ended up."""
    image = Image.new("RGB", size, first)
    image.paste(second, (size[0] // 2, 0, size[0], size[1]))
    return image


def _black_png(width: int, height: int) -> bytes:
    """A real 1-bit PNG: a few KB of bytes, ``width * height`` pixels once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then 8 pixels a byte
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row * 100) for _ in range(height // 100))
    idat += compressor.compress(row * (height % 100)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _phone_photo(size: tuple[int, int] = (4000, 3000)) -> bytes:
    return saved(photo_image("rocket.jpg").resize(size), "JPEG", quality=90)


def _exif(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    for name, value in tags.items():
        exif[ExifTags.Base[name]] = value
    return exif


def _transparent_palette_png() -> bytes:
    image = Image.new("P", (32, 32), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (16, 0, 32, 32))  # right half red, left half index 0: transparent black
    return saved(image, "PNG", transparency=0)


# --- the sample photos ----------------------------------------------------------------------


@pytest.mark.parametrize("name", PHOTO_NAMES)
@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
@pytest.mark.parametrize("max_dimension", [1600, 256])
def test_photo_compresses_to_a_smaller_decodable_image(name, fmt, max_dimension):
    # given
    source = _photo(name)
    options = one_copy(format=fmt, max_dimension=max_dimension)
    # when
    result = compress_image(source, options)
    # then
    stored = opened(result.data)
    assert len(result.data) <= len(source)
    assert stored.size == (result.width, result.height)
    assert max(stored.size) <= max_dimension
    assert result.content_type == Image.MIME[stored.format]


def test_gif_photo_gives_its_first_frame():
    gif = photo_image("no_time_for_that_tiny.gif")
    first = gif.convert("RGB")
    gif.seek(gif.n_frames - 1)
    last = gif.convert("RGB")

    stored = opened(compress_image(_photo("no_time_for_that_tiny.gif"), WEBP).data).convert("RGB")

    def distance(a: Image.Image, b: Image.Image) -> float:
        return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean)

    assert distance(stored, first) < distance(stored, last)


# --- sizes and orientation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [((4000, 3000), (1600, 1200)), ((3000, 4000), (1200, 1600)), ((1601, 20), (1600, 20))],
)
def test_large_jpeg_is_scaled_to_max_dimension(size, expected):
    result = compress_image(_phone_photo(size), DEFAULTS)

    assert (result.width, result.height) == expected
    assert opened(result.data).size == expected
    assert not result.kept_source


def test_large_jpeg_is_decoded_at_reduced_size():
    # when
    image, info = decode(_phone_photo(), DEFAULTS.decode_options)
    # then libjpeg scaled by 1/2, still no smaller than the 1600x1200 we resize to
    assert image.size == (2000, 1500)
    assert (info.width, info.height) == (4000, 3000)


def test_small_image_is_never_upscaled():
    result = compress_image(_photo("coffee.png"), one_copy(max_dimension=4000))

    assert (result.width, result.height) == (600, 400)


@pytest.mark.parametrize(
    ("size", "max_dimension", "expected"),
    [
        ((4000, 3000), 1600, (1600, 1200)),
        ((3000, 4000), 1600, (1200, 1600)),
        ((1600, 900), 1600, (1600, 900)),
        ((100, 50), 1600, (100, 50)),
        ((5000, 1), 1600, (1600, 1)),
        ((451, 300), 100, (100, 67)),
    ],
)
def test_fit(size, max_dimension, expected):
    assert fit(*size, max_dimension) == expected


def test_resize_filters_palette_images_in_full_colour():
    # given a palette image of black and white stripes one pixel wide
    stripes = Image.new("P", (400, 40), 0)
    stripes.putpalette([0, 0, 0, 255, 255, 255])
    for x in range(0, 400, 2):
        stripes.paste(1, (x, 0, x + 1, 40))
    # when
    small = resize(stripes, 100)
    # then the stripes blend to grey rather than picking black or white pixels
    assert small.mode == "RGB"
    assert _close(small.getpixel((50, 5)), (128, 128, 128), 20)


def test_resize_scales_down_and_leaves_small_images_alone():
    big, small = Image.new("RGB", (3200, 1000)), Image.new("RGB", (300, 200))

    assert resize(big, 1600).size == (1600, 500)
    assert resize(small, 1600) is small


@pytest.mark.parametrize(
    ("size", "quality", "expected"),
    [
        ((400, 200), 95, (200, 400)),
        ((400, 200), 20, (200, 400)),  # re-encoding is larger, yet the source is not kept
        ((4000, 2000), 95, (800, 1600)),  # resized too
    ],
)
def test_exif_orientation_6_is_applied(size, quality, expected):
    # given a photo, left half red, that the camera marks "rotate 90 degrees clockwise"
    source = saved(_two_halves(size, RED, BLUE), "JPEG", quality=quality, exif=_exif(Orientation=6))
    # when
    result = compress_image(source, one_copy(quality=95))
    # then the left half is on top
    stored = opened(result.data)
    assert (result.width, result.height) == stored.size == expected
    assert not result.kept_source
    width, height = expected
    assert _close(stored.getpixel((width // 2, height // 4)), RED, 40)
    assert _close(stored.getpixel((width // 2, height * 3 // 4)), BLUE, 40)


# --- pixel modes, transparency and colour ---------------------------------------------------

MODE_CASES = [
    # (id, source bytes, pixel to look at, expected RGB of the normalized, flattened image)
    ("cmyk-jpeg", lambda: saved(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG"), RED),
    ("p-transparent-png", _transparent_palette_png, WHITE),
    ("la-opaque-png", lambda: saved(Image.new("LA", (32, 32), (100, 255)), "PNG"), (100,) * 3),
    ("la-transparent-png", lambda: saved(Image.new("LA", (32, 32), (0, 0)), "PNG"), WHITE),
    ("rgba-webp", lambda: saved(Image.new("RGBA", (32, 32), (0, 0, 0, 0)), "WEBP"), WHITE),
    ("i16-png", lambda: saved(Image.new("I;16", (32, 32), 32768), "PNG"), (128,) * 3),
    ("i32-tiff", lambda: saved(Image.new("I", (32, 32), 51200), "TIFF"), (200,) * 3),
    ("float-tiff", lambda: saved(Image.new("F", (32, 32), 0.5), "TIFF"), (127,) * 3),
    ("1bit-png", lambda: saved(Image.new("1", (32, 32), 1), "PNG"), WHITE),
    ("l-jpeg", lambda: saved(Image.new("L", (32, 32), 77), "JPEG"), (77,) * 3),
    ("rgb-bmp", lambda: saved(Image.new("RGB", (32, 32), (10, 120, 200)), "BMP"), (10, 120, 200)),
    ("rgb-gif", lambda: saved(Image.new("RGB", (32, 32), (10, 120, 200)), "GIF"), (10, 120, 200)),
]


@pytest.mark.parametrize(
    ("make_source", "expected"), [pytest.param(m, e, id=i) for i, m, e in MODE_CASES]
)
def test_every_pixel_mode_becomes_8_bit_rgb(make_source: Callable[[], bytes], expected):
    # given
    source = make_source()
    # when
    image = normalize(decode(source, DEFAULTS.decode_options)[0])
    # then
    assert image.mode in ("RGB", "RGBA")
    assert _close(flatten(image).getpixel((4, 4)), expected)
    assert opened(compress_image(source, DEFAULTS).data).size == (32, 32)


def test_transparent_pixels_become_white_in_jpeg():
    # given logo.png (fully opaque as shipped) with a transparent black corner
    logo = photo_image("logo.png").convert("RGBA")
    logo.paste((0, 0, 0, 0), (0, 0, 100, 100))
    # when
    stored = opened(compress_image(saved(logo, "PNG"), DEFAULTS).data)
    # then
    assert stored.mode == "RGB"
    assert _close(stored.getpixel((10, 10)), WHITE)
    assert _close(stored.getpixel((250, 250)), logo.getpixel((250, 250))[:3], 12)


def test_webp_keeps_transparency():
    logo = photo_image("logo.png").convert("RGBA")
    logo.paste((0, 0, 0, 0), (0, 0, 100, 100))

    stored = opened(compress_image(saved(logo, "PNG"), WEBP).data)

    assert stored.mode == "RGBA"
    assert stored.getpixel((10, 10))[3] == 0
    assert stored.getpixel((250, 250))[3] == 255


def test_opaque_alpha_channel_is_dropped():
    assert normalize(photo_image("logo.png")).mode == "RGB"


def test_plain_rgb_image_is_normalized_without_a_copy():
    image = Image.new("RGB", (64, 64))

    assert normalize(image) is image


def test_gif_gives_its_first_frame():
    # given a two-frame animation, red then blue
    frames = [Image.new("RGB", (32, 32), RED), Image.new("RGB", (32, 32), BLUE)]
    source = saved(frames[0], "GIF", save_all=True, append_images=frames[1:])
    # when
    stored = opened(compress_image(source, DEFAULTS).data)
    # then
    assert _close(stored.getpixel((16, 16)), RED)


def _adobe_rgb_profile() -> bytes:
    return photo_image("rocket.jpg").info["icc_profile"]  # Adobe RGB (1998)


@pytest.mark.skipif(compress.ImageCms is None, reason="Pillow built without littlecms")
@pytest.mark.parametrize("size", [64, 2000])  # 2000: the profile survives resizing
def test_non_srgb_profile_is_converted_to_srgb(size):
    # given a flat green as Adobe RGB numbers
    green = Image.new("RGB", (size, size), (30, 160, 60))
    source = saved(green, "PNG", icc_profile=_adobe_rgb_profile())
    # when
    stored = opened(compress_image(source, DEFAULTS).data)
    # then the numbers are sRGB's for the same colour, and no profile is left to reinterpret them
    assert _close(stored.getpixel((32, 32)), (0, 161, 47), 6)
    assert "icc_profile" not in stored.info


def test_without_imagecms_colours_are_kept_as_decoded(monkeypatch):
    monkeypatch.setattr(compress, "ImageCms", None)
    source = saved(Image.new("RGB", (64, 64), (30, 160, 60)), "PNG", icc_profile=b"junk")

    stored = opened(compress_image(source, DEFAULTS).data)

    assert _close(stored.getpixel((32, 32)), (30, 160, 60), 6)


def test_unusable_profile_is_ignored():
    source = saved(Image.new("RGB", (64, 64), (30, 160, 60)), "PNG", icc_profile=b"junk")

    stored = opened(compress_image(source, DEFAULTS).data)

    assert _close(stored.getpixel((32, 32)), (30, 160, 60), 6)


@pytest.mark.parametrize("options", [DEFAULTS, WEBP], ids=["jpeg", "webp"])
def test_output_has_no_metadata(options):
    # given a photo carrying EXIF, a comment and a non-sRGB profile
    photo = photo_image("coffee.png")
    exif = _exif(Make="ACME", Model="Phone 9", Orientation=1, DateTime="2024:01:02 03:04:05")
    source = saved(
        photo, "JPEG", quality=95, exif=exif, comment=b"secret", icc_profile=_adobe_rgb_profile()
    )
    # when
    result = compress_image(source, options)
    # then
    stored = opened(result.data)
    assert not result.kept_source
    assert not stored.getexif()
    assert not {"exif", "icc_profile", "comment", "xmp"} & stored.info.keys()


# --- what is refused ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<!doctype html><html><body>Not found</body></html>", id="html"),
        pytest.param(b"just some text\n" * 20, id="text"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', id="svg"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", id="pdf"),
        pytest.param(_photo("rocket.jpg")[:20_000], id="truncated-jpeg"),
        pytest.param(b"\x89PNG\r\n\x1a\n", id="png-signature-only"),
        pytest.param(bytes(range(256)) * 8, id="garbage"),
        pytest.param(saved(Image.new("RGB", (16, 16)), "ICO"), id="ico"),
        pytest.param(saved(Image.new("RGB", (16, 16)), "PPM"), id="ppm"),
    ],
)
def test_not_a_supported_image_is_rejected(source):
    with pytest.raises(ImageRejectedError) as caught:
        compress_image(source, DEFAULTS)
    assert caught.value.code == FailureCode.NOT_AN_IMAGE


def test_decompression_bomb_is_rejected_before_decoding_pixels(monkeypatch):
    # given a few KB that would decode to 8000x8000 = 64M pixels, over the 50M limit
    bomb = _black_png(8000, 8000)
    assert len(bomb) < 20_000

    def load(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    # when / then
    with pytest.raises(ImageRejectedError, match="too many pixels") as caught:
        compress_image(bomb, DEFAULTS)
    assert caught.value.code == FailureCode.TOO_MANY_PIXELS


def test_bomb_helper_makes_real_pngs():
    assert opened(_black_png(1000, 999)).getextrema() == (0, 0)


def test_pillows_own_bomb_limit_is_turned_into_a_rejection():
    # 400M pixels is over twice Pillow's limit, so Image.open itself refuses it
    with pytest.raises(ImageRejectedError, match="too many pixels") as caught:
        compress_image(_black_png(20_000, 20_000), one_copy(max_pixels=10**12))
    assert caught.value.code == FailureCode.TOO_MANY_PIXELS


@pytest.mark.parametrize("action", ["error", "ignore"])
def test_pillows_bomb_warning_is_turned_into_a_rejection(action):
    # 100M pixels: Pillow only warns, and our limit is set above it
    with warnings.catch_warnings():
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        with pytest.raises(ImageRejectedError, match="too many pixels") as caught:
            compress_image(_black_png(10_000, 10_000), one_copy(max_pixels=10**9))
    assert caught.value.code == FailureCode.TOO_MANY_PIXELS


@pytest.mark.parametrize(("max_pixels", "accepted"), [(10_000, True), (9_999, False)])
def test_max_pixels_is_width_times_height(max_pixels, accepted):
    source = saved(Image.new("RGB", (100, 100)), "PNG")
    options = one_copy(max_pixels=max_pixels)

    if accepted:
        assert compress_image(source, options).width == 100
    else:
        with pytest.raises(ImageRejectedError) as caught:
            compress_image(source, options)
        assert caught.value.code == FailureCode.TOO_MANY_PIXELS


# --- output format and the keep-source rule -------------------------------------------------


@pytest.mark.parametrize(
    ("options", "pil_format", "content_type", "extension"),
    [(DEFAULTS, "JPEG", "image/jpeg", "jpg"), (WEBP, "WEBP", "image/webp", "webp")],
)
def test_output_format(options, pil_format, content_type, extension):
    result = compress_image(_photo("coffee.png"), options)

    assert opened(result.data).format == pil_format
    assert (result.content_type, result.extension) == (content_type, extension)
    assert not result.kept_source


def test_encode_writes_the_configured_format():
    image = Image.new("RGBA", (8, 8), (0, 0, 0, 0))

    assert opened(encode(image, DEFAULTS)).format == "JPEG"
    assert opened(encode(image, WEBP)).format == "WEBP"


def _tiny_png() -> bytes:
    frame = photo_image("no_time_for_that_tiny.gif").convert("RGB").quantize(16)
    return saved(frame, "PNG", optimize=True)


def _tiny_jpeg() -> bytes:
    small = photo_image("rocket.jpg").resize((64, 43))
    return saved(small, "JPEG", quality=30, optimize=True)


def _tiny_webp() -> bytes:
    return saved(photo_image("rocket.jpg").resize((48, 32)), "WEBP", quality=30)


@pytest.mark.parametrize(
    ("make_source", "options", "content_type", "extension", "size"),
    [
        (_tiny_png, DEFAULTS, "image/png", "png", (14, 25)),
        (_tiny_jpeg, DEFAULTS, "image/jpeg", "jpg", (64, 43)),
        (_tiny_webp, DEFAULTS, "image/webp", "webp", (48, 32)),
        (_tiny_webp, WEBP, "image/webp", "webp", (48, 32)),
    ],
)
def test_already_small_source_is_kept(make_source, options, content_type, extension, size):
    # given a source re-encoding cannot shrink
    source = make_source()
    assert len(encode(normalize(decode(source, options.decode_options)[0]), options)) >= len(source)
    # when
    result = compress_image(source, options)
    # then
    assert result.kept_source
    assert len(result.data) <= len(source)
    assert opened(result.data).tobytes() == opened(source).tobytes()
    assert (result.content_type, result.extension) == (content_type, extension)
    assert (result.width, result.height) == size


@pytest.mark.parametrize(
    ("make_source", "options", "size"),
    [
        pytest.param(lambda: saved(Image.new("P", (14, 25)), "GIF"), DEFAULTS, (14, 25), id="gif"),
        pytest.param(
            lambda: saved(
                Image.new("RGB", (8, 8)),
                "PNG",
                save_all=True,
                append_images=[Image.new("RGB", (8, 8), RED)],
            ),
            DEFAULTS,
            (8, 8),
            id="animated-png",
        ),
        pytest.param(
            _tiny_jpeg, one_copy(max_dimension=60, quality=95), (60, 40), id="needs-resize"
        ),
    ],
)
def test_source_that_must_be_reencoded_is_not_kept(make_source, options, size):
    # given a source re-encoding does not shrink, but that may not be stored as it is
    source = make_source()
    # when
    result = compress_image(source, options)
    # then
    assert len(result.data) >= len(source)
    assert not result.kept_source
    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    assert opened(result.data).size == (result.width, result.height) == size


def _info(fmt: str = "JPEG", size: tuple[int, int] = (640, 427), **fields: object) -> SourceInfo:
    values = {"orientation": 1, "animated": False, "bits": 8, "srgb": True} | fields
    return SourceInfo(fmt, *size, **values)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (_info(), True),
        (_info("PNG", (1600, 1600)), True),
        (_info("WEBP", (10, 10)), True),
        (_info("PNG", bits=4), True),
        (_info("JPEG", (1601, 427)), False),
        (_info(orientation=6), False),
        (_info("PNG", animated=True), False),
        (_info("PNG", bits=16), False),
        (_info(srgb=False), False),
        (_info("MPO"), False),
        (_info("GIF", (14, 25)), False),
        (_info("TIFF", (14, 25)), False),
        (_info("BMP", (14, 25)), False),
    ],
)
def test_can_keep_source(info, expected):
    assert can_keep_source(info, DEFAULTS) is expected


def test_phone_mpo_jpeg_is_decoded_as_jpeg():
    photo = photo_image("rocket.jpg")
    source = saved(photo, "MPO", save_all=True, append_images=[photo.resize((160, 107))])

    result = compress_image(source, DEFAULTS)

    assert decode(source, DEFAULTS.decode_options)[1].format == "MPO"
    assert (result.content_type, result.width, result.height) == ("image/jpeg", 640, 427)


@pytest.mark.parametrize(
    "params", [{"format": "png"}, {"quality": 0}, {"quality": 101}, {"max_dimension": 0}]
)
def test_invalid_options_are_refused(params):
    with pytest.raises(ValueError):
        one_copy(**params)
    if "max_dimension" in params:  # the decoding limits refuse it themselves
        with pytest.raises(ValueError):
            CompressOptions(max_dimension=0)


# --- hostile metadata on sources that are kept ----------------------------------------------

# What Pillow may report for a file that carries nothing but pixels.
PIXEL_INFO_KEYS = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "adobe",
                   "adobe_transform", "progressive", "progression", "transparency", "loop",
                   "background", "duration", "timestamp"}


def _assert_no_metadata(data: bytes) -> None:
    stored = opened(data)
    assert not stored.getexif()
    assert stored.info.keys() <= PIXEL_INFO_KEYS, stored.info.keys()
    assert not getattr(stored, "text", {})
    for secret in SECRETS:
        assert secret not in data, secret


HOSTILE_SOURCES = [(hostile_jpeg, "jpg"), (hostile_png, "png"), (hostile_webp, "webp")]


@pytest.mark.parametrize(
    ("make_source", "extension", "options"),
    [
        pytest.param(hostile_jpeg, "jpg", DEFAULTS, id="jpeg"),
        pytest.param(hostile_png, "png", DEFAULTS, id="png"),
        pytest.param(hostile_webp, "webp", DEFAULTS, id="webp-to-jpeg"),
        pytest.param(hostile_webp, "webp", WEBP, id="webp-to-webp"),
    ],
)
def test_kept_source_has_its_metadata_stripped(make_source, extension, options):
    # given a small source, tagged sRGB, re-encoding cannot shrink, full of GPS and camera data
    source = make_source()
    assert all(secret in source for secret in SECRETS[:2])
    # when
    result = compress_image(source, options)
    # then the source's own pixels are stored, and nothing else
    assert result.kept_source
    assert result.extension == extension
    assert len(result.data) < len(source)
    _assert_no_metadata(result.data)
    assert opened(result.data).tobytes() == opened(source).tobytes()


@pytest.mark.parametrize("options", [DEFAULTS, WEBP], ids=["jpeg", "webp"])
@pytest.mark.parametrize("make_source", [hostile_jpeg, hostile_png, hostile_webp, sixteen_bit_png])
def test_stored_copy_never_has_metadata_kept_or_not(make_source, options):
    result = compress_image(make_source(), options)

    _assert_no_metadata(result.data)


def test_issue_96px_quality_15_jpeg_with_gps_is_kept_without_it():
    source = hostile_jpeg(size=(96, 96), quality=15)

    result = compress_image(source, DEFAULTS)

    assert result.kept_source
    _assert_no_metadata(result.data)


@pytest.mark.parametrize("color", [False, True], ids=["grey", "rgb"])
def test_16_bit_png_is_reencoded_as_8_bit_even_if_larger(color):
    # given a 16-bit PNG with text chunks that PNG compresses far better than JPEG would
    source = sixteen_bit_png(color)
    # when
    result = compress_image(source, DEFAULTS)
    # then
    stored = opened(result.data)
    assert not result.kept_source
    assert len(result.data) > len(source)
    assert stored.format == "JPEG" and stored.mode in ("L", "RGB")
    _assert_no_metadata(result.data)


@pytest.mark.skipif(compress.ImageCms is None, reason="Pillow built without littlecms")
def test_small_non_srgb_source_is_reencoded_even_if_larger():
    # given four colours of noise, which PNG keeps small and JPEG at quality 100 cannot
    noise = Image.effect_noise((32, 32), 64).convert("RGB").quantize(4)
    source = saved(noise, "PNG", icc_profile=_adobe_rgb_profile())
    # when
    result = compress_image(source, one_copy(quality=100))
    # then

    assert not result.kept_source
    assert len(result.data) > len(source)
    _assert_no_metadata(result.data)


@pytest.mark.parametrize(
    ("params", "srgb"),
    [
        ({}, True),
        ({"icc_profile": "srgb"}, True),
        ({"icc_profile": "adobe"}, False),
        ({"icc_profile": b"junk"}, False),
        ({"gamma": 1 / 2.2}, True),
        ({"gamma": 1.0}, False),
        ({"gamma": 1.0, "srgb": 0}, True),
        ({"chromaticity": (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06)}, True),
        ({"chromaticity": (0.3127, 0.329, 0.64, 0.33, 0.21, 0.71, 0.15, 0.06)}, False),
    ],
)
def test_is_srgb(params, srgb):
    profiles = {"adobe": _adobe_rgb_profile(), "srgb": srgb_profile()}
    if "icc_profile" in params:
        params = {**params, "icc_profile": profiles.get(params["icc_profile"], b"junk")}
    image = Image.new("RGB", (1, 1))
    image.info.update(params)

    assert compress.is_srgb(image) is srgb


def test_repository_photo_keeps_no_metadata_when_kept():
    # given chelsea.png's own sRGB profile and XMP camera data on a copy re-encoding can't shrink
    source = hostile_png(secrets=False)
    assert b"exif:FocalLength" in source
    # when
    result = compress_image(source, DEFAULTS)
    # then
    assert result.kept_source
    _assert_no_metadata(result.data)
    assert b"exif:" not in result.data
