"""icon_is_blank: fully transparent or 1x1 PNGs are blank; anything drawn is not; other formats undecidable."""

from __future__ import annotations

import struct

import pytest
from apk_testkit import CLEAR, RED, png, png_chunks

from hegui.apk import ApkArchive, icon_is_blank, images


@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_fully_transparent_rgba_is_blank_whatever_the_row_filter(filter_type):
    assert icon_is_blank(png(64, 64, CLEAR, filter_type=filter_type), "ic.png") is True


@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_opaque_rgba_is_not_blank_whatever_the_row_filter(filter_type):
    assert icon_is_blank(png(64, 64, RED, filter_type=filter_type), "ic.png") is False


def test_transparent_colour_with_nonzero_rgb_is_still_blank():
    assert icon_is_blank(png(32, 32, (255, 255, 255, 0), filter_type=4), "ic.png") is True


def test_one_visible_pixel_makes_it_not_blank():
    width = 16
    rows = bytearray()
    for y in range(width):
        rows.append(0)
        for x in range(width):
            rows += bytes((9, 9, 9, 255 if (x, y) == (7, 11) else 0))
    image = png_chunks(struct.pack(">IIBBBBB", width, width, 8, 6, 0, 0, 0), bytes(rows))
    assert icon_is_blank(image, "ic.png") is False


def _rows(width: int, pixels_and_filters: list[tuple[bytes, int]]) -> bytes:
    return b"".join(bytes([flt]) + pixel * width for pixel, flt in pixels_and_filters)


def test_a_row_filter_png_does_not_define_among_transparent_rows_is_undecidable():
    ihdr = struct.pack(">IIBBBBB", 4, 3, 8, 6, 0, 0, 0)
    clear = bytes(CLEAR)
    image = png_chunks(ihdr, _rows(4, [(clear, 0), (clear, 9), (clear, 0)]))
    assert icon_is_blank(image, "ic.png") is None


def test_a_visible_row_answers_before_a_later_corrupt_row_is_read():
    ihdr = struct.pack(">IIBBBBB", 4, 3, 8, 6, 0, 0, 0)
    image = png_chunks(ihdr, _rows(4, [(bytes(CLEAR), 0), (bytes(RED), 0), (bytes(CLEAR), 9)]))
    assert icon_is_blank(image, "ic.png") is False


def test_a_one_by_one_image_is_blank_even_if_opaque():
    assert icon_is_blank(png(1, 1, RED), "ic.png") is True


def test_palette_image_whose_colours_are_all_transparent_is_blank():
    ihdr = struct.pack(">IIBBBBB", 8, 8, 8, 3, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes([0, 1] * 4) for _ in range(8))
    extra = [(b"PLTE", bytes([255, 0, 0, 0, 255, 0])), (b"tRNS", b"\x00\x00")]
    assert icon_is_blank(png_chunks(ihdr, raw, extra), "ic.png") is True
    opaque_second = [(b"PLTE", bytes([255, 0, 0, 0, 255, 0])), (b"tRNS", b"\x00")]  # index 1 has no entry: opaque
    assert icon_is_blank(png_chunks(ihdr, raw, opaque_second), "ic.png") is False


def test_two_bit_palette_image_is_unpacked():
    ihdr = struct.pack(">IIBBBBB", 8, 2, 2, 3, 0, 0, 0)
    raw = b"\x00\x00\x00" + b"\x00\x00\x40"  # second row: one pixel uses index 1
    extra = [(b"PLTE", bytes(6)), (b"tRNS", b"\x00\xff")]
    assert icon_is_blank(png_chunks(ihdr, raw, extra), "ic.png") is False


def test_grayscale_without_alpha_is_drawn():
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    assert icon_is_blank(png_chunks(ihdr, b"\x00\x80\x80\x80\x80" * 4), "ic.png") is False


def test_grayscale_alpha_all_zero_is_blank():
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 4, 0, 0, 0)
    assert icon_is_blank(png_chunks(ihdr, (b"\x00" + b"\x80\x00" * 4) * 4), "ic.png") is True


@pytest.mark.parametrize("data, name", [
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "ic_launcher.webp"),
    (b'<adaptive-icon xmlns:android="http://schemas.android.com/apk/res/android"/>', "ic_launcher.xml"),
    (b"\x03\x00\x08\x00\x00\x01\x00\x00", "ic_launcher.xml"),  # compiled XML drawable
    (png(16, 16, CLEAR)[:50], "truncated.png"),  # cut inside IDAT
    (b"", "empty.png"),
])
def test_other_formats_and_broken_pngs_are_undecidable(data, name):
    assert icon_is_blank(data, name) is None


def test_interlaced_png_is_undecidable():
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 6, 0, 0, 1)
    assert icon_is_blank(png_chunks(ihdr, bytes(80)), "ic.png") is None


def test_huge_declared_dimensions_are_refused_without_inflating(monkeypatch):
    def no_inflating() -> None:
        raise AssertionError("a 100,000 x 100,000 image must be refused before its pixels are inflated")

    monkeypatch.setattr(images.zlib, "decompressobj", no_inflating)
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    assert icon_is_blank(png_chunks(ihdr, bytes(1000)), "ic.png") is None


@pytest.mark.corpus
def test_real_launcher_icon_from_the_corpus_is_not_blank(corpus):
    with ApkArchive.open(corpus / "androguard/apks_edgecases/Invalid.apk") as archive:
        data = archive.read("res/drawable-hdpi/ic_launcher.png")
    assert icon_is_blank(data, "res/drawable-hdpi/ic_launcher.png") is False
