"""Bad input to the RLE API: every rejection is a clear exception naming the parameter
and the value received, never a crash, a silent sentinel or a garbage mask."""

import re

import numpy as np
import pytest

import maskcore
from reference import rle_ref as ref

RLE = maskcore.RLE
RLEBatch = maskcore.RLEBatch


def raises_naming(exc, *words):
    """pytest.raises(exc) whose message contains every one of ``words`` (regexes)."""
    return pytest.raises(exc, match="^" + "".join(f"(?=[\\s\\S]*(?:{w}))" for w in words))


def _coco(counts, size=(2, 3)):
    return {"size": list(size), "counts": counts}


def _ok_rle():
    m = np.array([[1, 0, 1], [1, 1, 0]], np.uint8)
    return maskcore.encode(m)


# --- compressed strings ---------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["!", " ", "p", "~", "\x7f", "0\x00", "é", "1a2/"])
def test_string_outside_alphabet(isa, bad):
    # The COCO alphabet is chr(48) .. chr(111) ('0' .. 'o').
    for counts in (bad, bad.encode("utf-8")):
        with pytest.raises(ValueError, match="counts"):
            RLE.from_coco(_coco(counts))


@pytest.mark.parametrize("s", ["o", "P", "1o", "2P", "0" + "o" * 5, "1" * 6 + "`"])
def test_string_ending_mid_value(isa, s):
    # A last character with the continuation bit (32) set leaves a value unfinished.
    with pytest.raises(ValueError, match="counts"):
        RLE.from_coco(_coco(s))


@pytest.mark.parametrize("groups", [14, 20, 40])
def test_string_overlong_value(isa, groups):
    # 5 bits per character: 14+ characters of one value exceed 64 bits.
    s = "o" * (groups - 1) + "?"
    with pytest.raises((ValueError, OverflowError), match="counts"):
        RLE.from_coco(_coco(s, size=(1, 1)))


def test_string_negative_count(isa):
    # '@' is the single group 16: sign bit set, so the value is -16.
    with pytest.raises(ValueError, match="counts"):
        RLE.from_coco(_coco("@"))
    # a delta that drives the 4th count below zero: counts [1, 1, 1, 1 - 16]
    with pytest.raises(ValueError, match="counts"):
        RLE.from_coco(_coco("111@", size=(1, 3)))


def test_string_sum_mismatch(isa):
    good = ref.to_string([2, 3, 1])             # 6 pixels
    assert RLE.from_coco(_coco(good)).area == 3
    for counts, size in ((good, (2, 4)), (good, (1, 5)), (ref.to_string([2, 3]), (2, 3)),
                         (ref.to_string([2**40]), (2, 3)), ("", (2, 3))):
        with raises_naming(ValueError, "counts"):
            RLE.from_coco(_coco(counts, size))


def test_string_not_a_string(isa):
    for counts in (3.5, None, {"a": 1}, object()):
        with pytest.raises((TypeError, ValueError), match="counts"):
            RLE.from_coco(_coco(counts))


def test_from_coco_bad_dict(isa):
    for obj in ({"counts": "0"}, {"size": [1, 1]}, [1, 2], "abc", None):
        with pytest.raises((TypeError, ValueError, KeyError)):
            RLE.from_coco(obj)
    for size in ([1], [1, 2, 3], "ab", None):
        with pytest.raises((TypeError, ValueError), match="size"):
            RLE.from_coco({"size": size, "counts": "0"})


# --- uncompressed counts ------------------------------------------------------------------------

@pytest.mark.parametrize("counts", [[1, 2], [2, 3, 2], [], [7], [0, 7]])
def test_counts_sum_mismatch(isa, counts):
    with raises_naming(ValueError, "counts", "6"):
        RLE(counts, 2, 3)
    with raises_naming(ValueError, "counts"):
        RLE.from_coco(_coco(counts))


@pytest.mark.parametrize("counts", [[-1, 7], [3, -2, 5], [2**64, 1], [3, 2**33, 1]])
def test_counts_out_of_range(isa, counts):
    with pytest.raises((ValueError, OverflowError), match="counts"):
        RLE(counts, 2, 3)


@pytest.mark.parametrize("counts", [[1.5, 4.5], ["1", "5"], [None, 6], np.array([3.0, 3.0])])
def test_counts_non_integer(isa, counts):
    with pytest.raises((TypeError, ValueError), match="counts"):
        RLE(counts, 2, 3)


def test_counts_wrong_ndim(isa):
    with pytest.raises(ValueError, match="counts"):
        RLE(np.array([[3, 3]]), 2, 3)


# --- sizes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("h, w", [(-1, 3), (2, -3), (-2, -3)])
def test_negative_size(isa, h, w):
    bad = str(h if h < 0 else w)
    with raises_naming(ValueError, "height|width|size", bad):
        RLE([0], h, w)
    with raises_naming(ValueError, "size", bad):
        RLE.from_coco({"size": [h, w], "counts": "0"})


@pytest.mark.parametrize("h, w", [(2.0, 3), (2, 3.5), ("2", 3), (None, 3)])
def test_non_integer_size(isa, h, w):
    with pytest.raises(TypeError, match="height|width|size"):
        RLE([6], h, w)
    with pytest.raises(TypeError, match="size"):
        RLE.from_coco({"size": [h, w], "counts": [6]})


@pytest.mark.parametrize("h, w", [(2**32, 2**31), (2**40, 2**40), (2**63, 1), (1, 2**64),
                                  (3, 2**62)])
def test_size_overflow(isa, h, w):
    with pytest.raises((OverflowError, ValueError), match="height|width|size"):
        RLE([0, 1], h, w)
    with pytest.raises((OverflowError, ValueError), match="size"):
        RLE.from_coco({"size": [h, w], "counts": "01"})


def test_numpy_integer_sizes_accepted(isa):
    r = RLE(np.array([2, 4], np.int64), np.int64(2), np.uint16(3))
    assert r.shape == (2, 3)
    assert RLE.from_coco({"size": np.array([2, 3]), "counts": [2, 4]}) == r


# --- encode ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [2, 7, 255])
def test_encode_non_binary_values(isa, value):
    m = np.zeros((5, 37), np.uint8)
    m[3, 30] = value
    for x in (m, np.asfortranarray(m), m[::-1, ::-1], np.stack([m, m], -1)):
        with raises_naming(ValueError, "mask", str(value)):
            maskcore.encode(x)


@pytest.mark.parametrize("shape", [(5,), (0,), (), (2, 2, 2, 2)])
def test_encode_wrong_ndim(isa, shape):
    with raises_naming(ValueError, "mask", re.escape(str(len(shape)))):
        maskcore.encode(np.zeros(shape, np.uint8))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex64, object, "U1", "S1"])
def test_encode_wrong_dtype(isa, dtype):
    with raises_naming(TypeError, "mask", "dtype"):
        maskcore.encode(np.zeros((3, 3), dtype))


def test_encode_not_an_array(isa):
    for x in (None, "mask", 3):
        with pytest.raises(TypeError, match="mask"):
            maskcore.encode(x)


# --- decode out= -----------------------------------------------------------------------------------

def test_decode_bad_out(isa):
    r = _ok_rle()
    with raises_naming(ValueError, "out", re.escape("(3, 2)")):
        r.decode(out=np.zeros((3, 2), np.uint8))
    with pytest.raises((TypeError, ValueError), match="out"):
        r.decode(out=np.zeros((2, 3), np.float64))
    ro = np.zeros((2, 3), np.uint8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        maskcore.decode(r, out=ro)
    with pytest.raises(TypeError, match="out"):
        r.decode(out=[[0, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="out"):
        maskcore.decode([r, r], out=np.zeros((2, 3, 3), np.uint8))


# --- mismatched sizes ------------------------------------------------------------------------------

def test_mismatched_sizes(isa):
    a = maskcore.encode(np.zeros((2, 3), np.uint8))
    b = maskcore.encode(np.zeros((3, 2), np.uint8))
    with raises_naming(ValueError, re.escape("3")):
        maskcore.merge([a, b])
    with pytest.raises(ValueError):
        maskcore.merge([a, a, b], intersect=True)
    with pytest.raises(ValueError):
        maskcore.iou(a, b)
    with pytest.raises(ValueError):
        maskcore.iou([a, a], [a, b])
    for op in ("__and__", "__or__", "__xor__", "__sub__"):
        with pytest.raises(ValueError):
            getattr(a, op)(b)
    with pytest.raises(ValueError):
        maskcore.decode([a, b])


def test_iscrowd_wrong_length(isa):
    a = _ok_rle()
    with raises_naming(ValueError, "iscrowd", "2"):
        maskcore.iou([a], [a, a], [True])
    with pytest.raises((TypeError, ValueError), match="iscrowd"):
        maskcore.iou([a], [a], ["yes"])


def test_threads_argument(isa):
    a = _ok_rle()
    for bad in (0, -1):
        with pytest.raises(ValueError, match="threads"):
            maskcore.area([a], threads=bad)
    with pytest.raises(TypeError, match="threads"):
        maskcore.area([a], threads=1.5)


# --- immutability, indexing, ISA names -------------------------------------------------------------

def test_rle_is_immutable(isa):
    r = _ok_rle()
    for attr in ("height", "width", "counts", "area", "shape"):
        with pytest.raises(AttributeError):
            setattr(r, attr, 1)
    with pytest.raises(ValueError):
        r.counts[0] = 5
    assert r == _ok_rle()


def test_batch_bad_index(isa):
    b = RLEBatch.from_list([_ok_rle()] * 3)
    for i in (3, -4, 10**20):
        with pytest.raises(IndexError):
            b[i]
    with pytest.raises(IndexError):
        b[np.array([0, 3])]
    with pytest.raises((TypeError, IndexError)):
        b["a"]
    with pytest.raises((TypeError, IndexError)):
        b[1.0]


def test_batch_from_list_rejects_non_rle(isa):
    with pytest.raises(TypeError):
        RLEBatch.from_list([_ok_rle(), np.zeros((2, 3), np.uint8)])


def test_unknown_isa(isa):
    with raises_naming(ValueError, "isa|ISA", "avx9000"):
        maskcore.set_isa("avx9000")
    assert maskcore.get_isa() == isa


def test_show_config_lists_every_family_and_the_running_variant():
    import io

    rows = maskcore._core.kernel_table()
    families = {r[0] for r in rows}
    assert {"rle", "metrics", "slic", "ccl", "raster", "contour"} <= families
    for _, _, variants in rows:
        assert len(variants) == 3
    for isa in maskcore.available_isas():  # a SIMD family runs its own level's variant
        level = ["scalar", "avx2", "avx512"].index(isa)
        for fam, kernel, variants in rows:
            if fam in ("slic", "ccl", "metrics") or (fam == "rle" and kernel != "codec_decode"):
                assert variants[level] == isa, (fam, kernel, variants)
    buf = io.StringIO()
    maskcore.show_config(file=buf)
    assert "assign_window" in buf.getvalue() and "find_runs" in buf.getvalue()
