// Bindings of the segments family (csrc/segments/segments.hpp): a label map or colour mask to
// key runs, key runs to every segment's RLE, and segments painted into a label map.
// Key runs travel as an (n, 3) int64 array of rows (start, len, key bits).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "../segments/coco_json.hpp"
#include "../segments/png.hpp"
#include "../segments/segments.hpp"
#include "buffers.hpp"

namespace maskcore::py_bind {
namespace {

using segments::KeyRun;

segments::MapView map_view(const py::array& a) {
    const char k = a.dtype().kind();
    MC_REQUIRE(k == 'u' || k == 'i' || k == 'b', "map: expected an integer or bool array");
    segments::MapView v{static_cast<const uint8_t*>(a.data()), 0, 0, 0, 0, 0, 0};
    if (a.ndim() == 3) {
        MC_REQUIRE(a.itemsize() == 1 && a.shape(2) == 3, "map: expected an (H, W, 3) uint8 array");
        v.kind = 3;
        v.chan_stride = a.strides(2);
    } else {
        MC_REQUIRE(a.ndim() == 2, "map: expected a 2D array");
        const py::ssize_t s = a.itemsize();
        MC_REQUIRE(s == 1 || s == 2 || s == 4 || s == 8, "map: expected 1, 2, 4 or 8-byte integers");
        v.kind = static_cast<int>(s);
    }
    v.rows = a.shape(0);
    v.cols = a.shape(1);
    v.row_stride = a.strides(0);
    v.col_stride = a.strides(1);
    return v;
}

py::array runs_array(RunBuf<KeyRun>& buf) {
    static_assert(sizeof(KeyRun) == 3 * sizeof(int64_t), "KeyRun is three int64s");
    const py::ssize_t n = buf.size;
    KeyRun* p = buf.release();
    py::capsule owner(p, [](void* q) { std::free(q); });
    return py::array_t<int64_t>({n, py::ssize_t{3}}, {py::ssize_t{24}, py::ssize_t{8}}, reinterpret_cast<int64_t*>(p),
                                owner);
}

py::array scan(const py::array& map, int threads, bool reference) {
    const segments::MapView v = map_view(map);
    RunBuf<KeyRun> out;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = reference ? segments::scan_runs_reference(v, out) : segments::scan_runs(v, threads, out);
    }
    if (s != Status::ok) raise_kernel(s, ErrorInfo{});
    return runs_array(out);
}

const KeyRun* runs_of(const py::array& runs, int64_t& n) {
    MC_REQUIRE(runs.dtype().equal(py::dtype::of<int64_t>()) && runs.ndim() == 2 && runs.shape(1) == 3 &&
                   (runs.flags() & py::array::c_style),
               "runs: expected a C-contiguous (n, 3) int64 array");
    n = runs.shape(0);
    return reinterpret_cast<const KeyRun*>(runs.data());
}

template <class T>
py::tuple gather_t(const KeyRun* runs, int64_t n, Span<uint64_t> keys, Span<int64_t> seg, int64_t nseg,
                   uint64_t total) {
    RunBuf<T> counts;
    RunBuf<int64_t> offsets;
    int64_t unknown = 0, first = -1;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = segments::gather_runs<T>(runs, n, keys.data, seg.data, keys.size, nseg, total, counts, offsets, unknown,
                                     first);
    }
    if (s != Status::ok) raise_kernel(s, ErrorInfo{});
    return py::make_tuple(adopt(counts), adopt(offsets), unknown, first);
}

// -> (flat counts, offsets, unknown pixels, index of the first run with an unknown key or -1)
py::tuple gather(const py::array& runs, const py::array& keys, const py::array& seg_of_key, int64_t nseg,
                 int64_t h, int64_t w) {
    int64_t n = 0;
    const KeyRun* r = runs_of(runs, n);
    const Span<uint64_t> k = span<uint64_t>(keys, "keys");
    const Span<int64_t> s = span<int64_t>(seg_of_key, "seg_of_key");
    MC_REQUIRE(k.size == s.size, "seg_of_key: expected one entry per key");
    MC_REQUIRE(nseg >= 0 && h >= 0 && w >= 0, "nseg, h, w: expected non-negative values");
    for (int64_t i = 0; i < s.size; ++i) {
        MC_REQUIRE(s.data[i] < nseg, "seg_of_key: a segment index is out of range");
        MC_REQUIRE(i == 0 || k.data[i - 1] < k.data[i], "keys: expected sorted, distinct keys");
    }
    const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
    for (int64_t i = 0; i < n; ++i)
        MC_REQUIRE(r[i].start >= 0 && r[i].len > 0 && static_cast<uint64_t>(r[i].start + r[i].len) <= total &&
                       (i == 0 || r[i].start >= r[i - 1].start + r[i - 1].len),
                   "runs: expected ordered runs inside the map");
    if (total < (uint64_t{1} << 32)) return gather_t<uint32_t>(r, n, k, s, nseg, total);
    return gather_t<uint64_t>(r, n, k, s, nseg, total);
}

template <class T>
py::tuple encode_t(const segments::MapView& v, const segments::EncodeSpec& spec, int threads) {
    RunBuf<T> flat;
    RunBuf<int64_t> offsets;
    RunBuf<uint64_t> keys;
    int64_t unknown = 0, first = -1;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = segments::encode_map<T>(v, spec, threads, flat, offsets, keys, unknown, first);
    }
    if (s != Status::ok) raise_kernel(s, ErrorInfo{});
    if (unknown) {  // keys missing from the table: where the first is (row-major) and how many pixels
        ErrorInfo e;
        e.index = first;
        e.value = unknown;
        raise_kernel(Status::invalid_value, e);
    }
    return py::make_tuple(adopt(flat), adopt(offsets), adopt(keys));
}

// The map straight to every segment's counts (segments.hpp: encode_map) -> (flat counts,
// offsets, the segments' keys in auto mode). Table mode: keys (sorted, distinct uint64) and
// seg_of_key; auto mode: keys None, every distinct key but `drop` (None: none) is a segment.
// Unknown keys: KernelError(invalid_value, index = the first one's row-major position, value =
// their pixel count).
py::tuple encode(const py::array& map, const py::object& keys, const py::object& seg_of_key, int64_t nseg,
                 const py::object& drop, bool is_signed, int threads) {
    const segments::MapView v = map_view(map);
    segments::EncodeSpec spec;
    py::array karr, sarr;
    if (!keys.is_none()) {
        karr = keys.cast<py::array>();
        sarr = seg_of_key.cast<py::array>();
        const Span<uint64_t> k = span<uint64_t>(karr, "keys");
        const Span<int64_t> sk = span<int64_t>(sarr, "seg_of_key");
        MC_REQUIRE(k.size == sk.size, "seg_of_key: expected one entry per key");
        MC_REQUIRE(nseg >= 0, "nseg: expected a non-negative value");
        for (int64_t i = 0; i < sk.size; ++i) {
            MC_REQUIRE(sk.data[i] >= -1 && sk.data[i] < nseg, "seg_of_key: a segment index is out of range");
            MC_REQUIRE(i == 0 || k.data[i - 1] < k.data[i], "keys: expected sorted, distinct keys");
        }
        spec.keys = k.data;
        spec.seg_of_key = sk.data;
        spec.nkeys = k.size;
        spec.nseg = nseg;
    } else if (!drop.is_none()) {
        spec.has_drop = true;
        spec.drop = drop.cast<uint64_t>();
    }
    spec.is_signed = is_signed && v.kind != 3;
    const uint64_t total = static_cast<uint64_t>(v.rows) * static_cast<uint64_t>(v.cols);
    if (total < (uint64_t{1} << 32)) return encode_t<uint32_t>(v, spec, threads);
    return encode_t<uint64_t>(v, spec, threads);
}

void paint(const py::array& flat, const py::array& offsets, const py::array& values, const py::array& order,
           py::array& out, int64_t h, int64_t w) {
    const Span<int64_t> off = span<int64_t>(offsets, "offsets");
    const Span<uint64_t> val = span<uint64_t>(values, "values");
    const Span<int64_t> ord = span<int64_t>(order, "order");
    MC_REQUIRE(off.size == val.size + 1, "values: expected one value per segment");
    MC_REQUIRE(out.writeable() && out.ndim() == 1 && (out.flags() & py::array::c_style) &&
                   out.shape(0) == h * w,
               "out: expected a writeable contiguous 1D array of h*w elements");
    const int es = static_cast<int>(out.itemsize());
    for (int64_t i = 0; i < ord.size; ++i) MC_REQUIRE(ord.data[i] >= 0 && ord.data[i] < val.size, "order: index out of range");
    auto run = [&](auto t) {
        using T = decltype(t);
        const Span<T> f = span<T>(flat, "flat");
        MC_REQUIRE(off.data[0] == 0 && off.data[off.size - 1] <= f.size, "offsets: out of range");
        for (int64_t i = 0; i + 1 < off.size; ++i) MC_REQUIRE(off.data[i] <= off.data[i + 1], "offsets: not increasing");
        Status s;
        ErrorInfo err;
        {
            py::gil_scoped_release nogil;
            s = segments::paint_runs<T>(f.data, off.data, val.data, ord.data, ord.size, es,
                                        static_cast<uint8_t*>(out.mutable_data()), static_cast<uint64_t>(h * w), err);
        }
        if (s != Status::ok) raise_kernel(s, err);
    };
    if (flat.dtype().equal(py::dtype::of<uint32_t>())) run(uint32_t{});
    else run(uint64_t{});
}

// ---- COCO JSON ------------------------------------------------------------------------

using segments::coco::Annotations;
using segments::coco::ParseError;

std::string snippet(const char* d, int64_t n, int64_t s, int64_t e) {
    s = std::max<int64_t>(0, std::min(s, n));
    e = std::max<int64_t>(s, std::min({e, n, s + 60}));
    std::string out(d + s, d + e);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return out.empty() ? std::string("the end of the data") : out;
}

[[noreturn]] void parse_failed(Status s, const ParseError& e, const char* d, int64_t n) {
    if (s == Status::bad_alloc) throw std::bad_alloc();
    std::string where = e.annotation >= 0 ? "annotations[" + std::to_string(e.annotation) + "]" : std::string("JSON");
    if (e.field && *e.field) where += std::string(".") + e.field;
    std::string msg = where + ": expected " + e.expected;
    if (e.value_start >= 0) msg += ", got " + snippet(d, n, e.value_start, e.value_end);
    if (e.offset >= 0) msg += " (byte " + std::to_string(e.offset) + ")";
    throw py::value_error(msg);
}

py::tuple coco_top(const py::bytes& data) {
    char* d;
    py::ssize_t n;
    PyBytes_AsStringAndSize(data.ptr(), &d, &n);
    RunBuf<int64_t> spans;
    bool is_list = false;
    int64_t list_span[2] = {-1, -1};
    ParseError err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = segments::coco::parse_top(d, n, spans, is_list, list_span, err);
    }
    if (s != Status::ok) parse_failed(s, err, d, n);
    py::array_t<int64_t> a = adopt(spans);
    return py::make_tuple(a.attr("reshape")(-1, 4), is_list, py::make_tuple(list_span[0], list_span[1]));
}

template <class T>
py::array copy_array(const RunBuf<T>& b) {
    py::array_t<T> out(b.size);
    if (b.size) std::memcpy(out.mutable_data(), b.data, sizeof(T) * b.size);
    return out;
}

struct CocoAnnotations {
    Annotations a;
    int64_t size() const { return a.kind.size; }
};

std::unique_ptr<CocoAnnotations> coco_annotations(const py::bytes& data, int64_t begin, int64_t end) {
    char* d;
    py::ssize_t n;
    PyBytes_AsStringAndSize(data.ptr(), &d, &n);
    MC_REQUIRE(0 <= begin && begin <= end && end <= n, "begin, end: out of range");
    auto out = std::make_unique<CocoAnnotations>();
    ParseError err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = segments::coco::parse_annotations(d, begin, end, out->a, err);
    }
    if (s != Status::ok) parse_failed(s, err, d, n);
    return out;
}

py::dict coco_columns(const CocoAnnotations& c) {
    py::dict out;
    out["ints"] = copy_array(c.a.ints).attr("reshape")(-1, 4);
    out["score"] = copy_array(c.a.score);
    out["present"] = copy_array(c.a.present);
    out["kind"] = copy_array(c.a.kind);
    out["rle"] = copy_array(c.a.rle).attr("reshape")(-1, 4);
    out["extra"] = copy_array(c.a.extra).attr("reshape")(-1, 5);
    // The polygon buffers (xy, part_end) stay native: masks() reads them, Python never does.
    return out;
}

template <class T>
py::tuple coco_masks_t(const CocoAnnotations& c, const char* d, int64_t /*n*/, const int64_t* hs, const int64_t* ws,
                       int threads) {
    RunBuf<T> flat;
    RunBuf<int64_t> offsets;
    ParseError err;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = segments::coco::annotation_masks<T>(c.a, d, hs, ws, threads, flat, offsets, err);
    }
    if (s != Status::ok) {
        if (s == Status::bad_alloc) throw std::bad_alloc();
        if (s == Status::overflow) throw std::overflow_error("segmentation: a mask is too large");
        std::string msg = "annotations[" + std::to_string(err.annotation) + "]." + err.field + ": expected " + err.expected;
        if (std::string(err.field) == "segmentation.size") {
            const int64_t* r = c.a.rle.data + 4 * err.annotation;
            msg += ", got [" + std::to_string(r[0]) + ", " + std::to_string(r[1]) + "] where the image is [" +
                   std::to_string(hs[err.annotation]) + ", " + std::to_string(ws[err.annotation]) + "]";
        }
        throw py::value_error(msg);
    }
    return py::make_tuple(adopt(flat), adopt(offsets));
}

py::tuple coco_masks(const CocoAnnotations& c, const py::array& heights, const py::array& widths, int threads) {
    const Span<int64_t> hs = span<int64_t>(heights, "heights"), ws = span<int64_t>(widths, "widths");
    MC_REQUIRE(hs.size == c.size() && ws.size == c.size(), "heights, widths: expected one per annotation");
    bool big = false;
    for (int64_t i = 0; i < hs.size; ++i) {
        MC_REQUIRE(hs.data[i] >= 0 && ws.data[i] >= 0 && hs.data[i] < (int64_t{1} << 31) && ws.data[i] < (int64_t{1} << 31),
                   "heights, widths: expected values in [0, 2**31)");
        big = big || static_cast<uint64_t>(hs.data[i]) * static_cast<uint64_t>(ws.data[i]) >= (uint64_t{1} << 32);
    }
    // Every counts string was copied into the annotations' own text buffer when parsed, so the
    // JSON bytes are not needed (nor kept alive) here.
    if (big) return coco_masks_t<uint64_t>(c, nullptr, 0, hs.data, ws.data, threads);
    return coco_masks_t<uint32_t>(c, nullptr, 0, hs.data, ws.data, threads);
}

py::array png_unfilter(const py::bytes& raw, int64_t rows, int64_t width_bytes, int bpp) {
    char* d;
    py::ssize_t n;
    PyBytes_AsStringAndSize(raw.ptr(), &d, &n);
    MC_REQUIRE(rows >= 0 && width_bytes >= 0 && bpp >= 1 && bpp <= 8, "rows, width_bytes, bpp: out of range");
    MC_REQUIRE(rows == 0 || width_bytes < (int64_t{1} << 40) / rows, "rows, width_bytes: too large");
    MC_REQUIRE(n == rows * (width_bytes + 1), "raw: expected rows * (1 + width_bytes) bytes");
    py::array_t<uint8_t> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(width_bytes)});
    uint8_t* o = out.mutable_data();
    int64_t bad = -1;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = segments::png_unfilter(reinterpret_cast<const uint8_t*>(d), rows, width_bytes, bpp, o, bad);
    }
    if (s != Status::ok) {  // a filter byte > 4: index = its row, value = the byte
        ErrorInfo e;
        if (s == Status::invalid_value) {
            e.index = bad;
            e.value = static_cast<uint8_t>(d[bad * (width_bytes + 1)]);
        }
        raise_kernel(s, e);
    }
    return out;
}

py::bytes png_deflate(const py::array& a) {
    segments::PixelView v{static_cast<const uint8_t*>(a.data()), 0, 0, 0, 0, 1, {0, 0, 0, 0}};
    if (a.ndim() == 3) {
        MC_REQUIRE(a.dtype().equal(py::dtype::of<uint8_t>()) && (a.shape(2) == 3 || a.shape(2) == 4),
                   "map: expected an (H, W, 3) or (H, W, 4) uint8 array");
        v.bpp = static_cast<int>(a.shape(2));
        for (int j = 0; j < v.bpp; ++j) v.byte_offset[j] = j * a.strides(2);
    } else {
        MC_REQUIRE(a.ndim() == 2, "map: expected a 2D array");
        if (a.dtype().equal(py::dtype::of<uint16_t>())) {
            v.bpp = 2;  // PNG samples are big-endian: the high byte first, whatever the host's order
            const uint16_t probe = 1;
            const bool little = *reinterpret_cast<const uint8_t*>(&probe) == 1;
            v.byte_offset[0] = little ? 1 : 0;
            v.byte_offset[1] = little ? 0 : 1;
        } else {
            MC_REQUIRE(a.dtype().equal(py::dtype::of<uint8_t>()), "map: expected uint8 or native uint16");
        }
    }
    v.rows = a.shape(0);
    v.cols = a.shape(1);
    v.row_stride = a.strides(0);
    v.col_stride = a.strides(1);
    MC_REQUIRE(v.rows > 0 && v.cols > 0, "map: a PNG needs at least one row and one column");
    RunBuf<uint8_t> out;
    Status s;
    {
        py::gil_scoped_release nogil;
        s = segments::png_deflate_map(v, out);
    }
    if (s != Status::ok) raise_kernel(s, ErrorInfo{});
    return py::bytes(reinterpret_cast<const char*>(out.data), static_cast<py::ssize_t>(out.size));
}

}  // namespace

void bind_segments(py::module_& m) {
    py::class_<CocoAnnotations>(m, "CocoAnnotations")
        .def("__len__", &CocoAnnotations::size)
        .def("columns", &coco_columns)
        .def("masks", &coco_masks, py::arg("heights"), py::arg("widths"), py::arg("threads"));
    m.def("coco_json_top", &coco_top, py::arg("data"));
    m.def("coco_json_annotations", &coco_annotations, py::arg("data"), py::arg("begin"), py::arg("end"));
    m.def("png_deflate", &png_deflate, py::arg("map"));
    m.def("png_unfilter", &png_unfilter, py::arg("raw"), py::arg("rows"), py::arg("width_bytes"), py::arg("bpp"));
    m.def("segments_scan", &scan, py::arg("map"), py::arg("threads"), py::arg("reference") = false);
    m.def("segments_gather", &gather, py::arg("runs"), py::arg("keys"), py::arg("seg_of_key"), py::arg("nseg"),
          py::arg("h"), py::arg("w"));
    m.def("segments_encode", &encode, py::arg("map"), py::arg("keys"), py::arg("seg_of_key"), py::arg("nseg"),
          py::arg("drop"), py::arg("signed"), py::arg("threads"));
    m.def("segments_paint", &paint, py::arg("flat"), py::arg("offsets"), py::arg("values"), py::arg("order"),
          py::arg("out"), py::arg("h"), py::arg("w"));
}

}  // namespace maskcore::py_bind
