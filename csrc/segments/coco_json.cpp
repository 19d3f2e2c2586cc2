// COCO JSON into columns and runs (coco_json.hpp has the design).
#include "coco_json.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "../common/parallel.hpp"
#include "../raster/coco_poly.hpp"
#include "../rle/rle.hpp"

namespace maskcore::segments::coco {
namespace {

constexpr int kMaxDepth = 512;

struct Parser {
    const char* d;
    int64_t i, n;
    ParseError& err;
    int64_t ann = -1;
    const char* field = "";

    bool fail(const char* expected, int64_t vs = -1, int64_t ve = -1) noexcept {
        if (err.offset < 0) {
            err.offset = i;
            err.annotation = ann;
            err.field = field;
            err.expected = expected;
            err.value_start = vs < 0 ? i : vs;
            err.value_end = ve < 0 ? std::min(n, (vs < 0 ? i : vs) + 40) : ve;
        }
        return false;
    }
    void ws() noexcept {
        while (i < n && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t')) ++i;
    }
    bool peek(char c) noexcept {
        ws();
        return i < n && d[i] == c;
    }
    bool expect(char c, const char* what) noexcept {
        ws();
        if (i < n && d[i] == c) {
            ++i;
            return true;
        }
        return fail(what);
    }
    // A string: [s, e) is its content between the quotes.
    bool string(int64_t& s, int64_t& e) noexcept {
        ws();
        if (i >= n || d[i] != '"') return fail("a string");
        s = ++i;
        while (i < n) {
            const unsigned char c = static_cast<unsigned char>(d[i]);
            if (c == '"') {
                e = i++;
                return true;
            }
            if (c < 0x20) return fail("a string without control characters", s - 1);
            if (c == '\\') {
                if (i + 1 >= n) break;
                const char x = d[i + 1];
                if (x == 'u') {
                    if (i + 5 >= n) break;
                    for (int k = 2; k < 6; ++k)
                        if (!std::isxdigit(static_cast<unsigned char>(d[i + k]))) return fail("a \\u escape", i);
                    i += 6;
                    continue;
                }
                if (!std::strchr("\"\\/bfnrt", x) || x == 0) return fail("a valid escape", i);
                i += 2;
                continue;
            }
            ++i;
        }
        i = n;
        return fail("a closing quote (the data ends inside a string)", s - 1);
    }
    bool number(int64_t& s, int64_t& e, bool& integral) noexcept {
        ws();
        s = i;
        integral = true;
        if (i < n && d[i] == '-') ++i;
        if (i < n && d[i] == '0') {
            ++i;
        } else if (i < n && d[i] >= '1' && d[i] <= '9') {
            while (i < n && d[i] >= '0' && d[i] <= '9') ++i;
        } else {
            return fail("a number", s);
        }
        if (i < n && d[i] == '.') {
            integral = false;
            ++i;
            if (!(i < n && d[i] >= '0' && d[i] <= '9')) return fail("a number", s);
            while (i < n && d[i] >= '0' && d[i] <= '9') ++i;
        }
        if (i < n && (d[i] == 'e' || d[i] == 'E')) {
            integral = false;
            ++i;
            if (i < n && (d[i] == '+' || d[i] == '-')) ++i;
            if (!(i < n && d[i] >= '0' && d[i] <= '9')) return fail("a number", s);
            while (i < n && d[i] >= '0' && d[i] <= '9') ++i;
        }
        e = i;
        return true;
    }
    bool word(const char* w) noexcept {
        const int64_t len = static_cast<int64_t>(std::strlen(w));
        if (n - i >= len && std::memcmp(d + i, w, static_cast<size_t>(len)) == 0) {
            i += len;
            return true;
        }
        return fail("a JSON value");
    }
    bool skip(int depth) noexcept {
        if (depth > kMaxDepth) return fail("nesting at most 512 levels deep");
        ws();
        if (i >= n) return fail("a value (the data ends early)");
        const char c = d[i];
        int64_t s = -1, e = -1;
        bool integral;
        if (c == '{') {
            ++i;
            if (peek('}')) return ++i, true;
            for (;;) {
                if (!string(s, e) || !expect(':', "':'") || !skip(depth + 1)) return false;
                ws();
                if (i < n && d[i] == ',') { ++i; continue; }
                if (i < n && d[i] == '}') { ++i; return true; }
                return fail("',' or '}'");
            }
        }
        if (c == '[') {
            ++i;
            if (peek(']')) return ++i, true;
            for (;;) {
                if (!skip(depth + 1)) return false;
                ws();
                if (i < n && d[i] == ',') { ++i; continue; }
                if (i < n && d[i] == ']') { ++i; return true; }
                return fail("',' or ']'");
            }
        }
        if (c == '"') return string(s, e);
        if (c == 't') return word("true");
        if (c == 'f') return word("false");
        if (c == 'n') return word("null");
        return number(s, e, integral);
    }
    bool value_span(int64_t& s, int64_t& e, int depth) noexcept {
        ws();
        s = i;
        if (!skip(depth)) return false;
        e = i;
        return true;
    }
    // An integer value (an integral float such as 3.0 too).
    bool integer(int64_t& out) noexcept {
        ws();
        if (i < n && (d[i] == '"' || d[i] == 't' || d[i] == 'f' || d[i] == 'n' || d[i] == '[' || d[i] == '{')) {
            int64_t s = -1, e = -1;
            value_span(s, e, 1);
            return fail("an integer", s, e);
        }
        int64_t s = -1, e = -1;
        bool integral;
        if (!number(s, e, integral)) return false;
        if (integral) {
            const auto r = std::from_chars(d + s, d + e, out);
            if (r.ec != std::errc() || r.ptr != d + e) return fail("an integer that fits int64", s, e);
            return true;
        }
        double v;
        const auto r = std::from_chars(d + s, d + e, v);
        if (r.ec != std::errc() || !(std::fabs(v) < 9007199254740992.0) || v != std::floor(v))
            return fail("an integer", s, e);
        out = static_cast<int64_t>(v);
        return true;
    }
    bool real(double& out) noexcept {
        ws();
        int64_t s = -1, e = -1;
        bool integral;
        if (i < n && !(d[i] == '-' || (d[i] >= '0' && d[i] <= '9'))) {
            value_span(s, e, 1);
            return fail("a number", s, e);
        }
        if (!number(s, e, integral)) return false;
        const auto r = std::from_chars(d + s, d + e, out);
        if (r.ec != std::errc() || !std::isfinite(out)) return fail("a finite number", s, e);
        return true;
    }
};

bool key_is(const char* d, int64_t s, int64_t e, const char* k) noexcept {
    const int64_t len = static_cast<int64_t>(std::strlen(k));
    return e - s == len && std::memcmp(d + s, k, static_cast<size_t>(len)) == 0;
}

// segmentation: polygons or an RLE object.
bool parse_segmentation(Parser& p, Annotations& out) noexcept {
    int64_t* rle = out.rle.data + 4 * p.ann;
    p.ws();
    if (p.i < p.n && p.d[p.i] == '[') {
        ++p.i;
        int64_t parts = 0, first_len = -1;
        if (p.peek(']')) {
            ++p.i;
        } else {
            for (;;) {
                p.ws();
                if (!(p.i < p.n && p.d[p.i] == '[')) {
                    int64_t s = -1, e = -1;
                    const int64_t at = p.i;
                    p.value_span(s, e, 1);
                    p.i = at;
                    return p.fail("a polygon: a list of numbers [x0, y0, x1, y1, ...]", s, e);
                }
                const int64_t part_start = p.i;
                ++p.i;
                int64_t k = 0;
                if (p.peek(']')) {
                    ++p.i;
                } else {
                    for (;;) {
                        double v;
                        if (!p.real(v)) return false;
                        if (!out.xy.push(v)) return false;
                        ++k;
                        p.ws();
                        if (p.i < p.n && p.d[p.i] == ',') { ++p.i; continue; }
                        if (p.i < p.n && p.d[p.i] == ']') { ++p.i; break; }
                        return p.fail("',' or ']' in a polygon");
                    }
                }
                if (k % 2) return p.fail("a polygon with an even number of coordinates", part_start, p.i);
                if (first_len < 0) first_len = k;
                if (!out.part_end.push(out.xy.size)) return false;
                ++parts;
                p.ws();
                if (p.i < p.n && p.d[p.i] == ',') { ++p.i; continue; }
                if (p.i < p.n && p.d[p.i] == ']') { ++p.i; break; }
                return p.fail("',' or ']' after a polygon");
            }
        }
        out.kind.data[p.ann] = first_len == 4 ? kBoxes : kPolygons;
        return true;
    }
    if (!(p.i < p.n && p.d[p.i] == '{')) {
        int64_t s = -1, e = -1;
        const int64_t at = p.i;
        p.value_span(s, e, 1);
        p.i = at;
        return p.fail("a list of polygons or an RLE object {\"size\": [h, w], \"counts\": ...}", s, e);
    }
    ++p.i;
    bool have_size = false, have_counts = false;
    int8_t kind = kRleString;
    const char* outer = p.field;
    if (!p.peek('}')) {
        for (;;) {
            int64_t ks = -1, ke = -1;
            if (!p.string(ks, ke) || !p.expect(':', "':'")) return false;
            if (key_is(p.d, ks, ke, "size")) {
                p.field = "segmentation.size";
                if (have_size) return p.fail("one 'size' key");
                int64_t h, w;
                if (!p.expect('[', "[height, width]") || !p.integer(h) || !p.expect(',', "[height, width]") ||
                    !p.integer(w) || !p.expect(']', "[height, width]"))
                    return false;
                if (h < 0 || w < 0 || (w > 0 && h > INT64_MAX / w)) return p.fail("a non-negative size", p.i - 1);
                rle[0] = h;
                rle[1] = w;
                have_size = true;
            } else if (key_is(p.d, ks, ke, "counts")) {
                p.field = "segmentation.counts";
                if (have_counts) return p.fail("one 'counts' key");
                have_counts = true;
                p.ws();
                if (p.i < p.n && p.d[p.i] == '"') {
                    int64_t s = -1, e = -1;
                    if (!p.string(s, e)) return false;
                    rle[2] = s;
                    rle[3] = e;
                    if (std::memchr(p.d + s, '\\', static_cast<size_t>(e - s))) {
                        const int64_t t0 = out.text.size;
                        if (!out.text.reserve_more(e - s)) return false;
                        for (int64_t k = s; k < e; ++k) {  // escapes were checked by string()
                            char c = p.d[k];
                            if (c == '\\') {
                                const char x = p.d[++k];
                                c = x == 'b' ? '\b' : x == 'f' ? '\f' : x == 'n' ? '\n' : x == 'r' ? '\r' : x == 't' ? '\t' : x;
                                if (x == 'u') {
                                    unsigned v = 0;
                                    for (int q = 0; q < 4; ++q) {
                                        const char h = p.d[++k];
                                        v = v * 16 + static_cast<unsigned>(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
                                    }
                                    c = v < 128 ? static_cast<char>(v) : '\x7f';  // not an RLE char: decoding rejects it
                                }
                            }
                            out.text.push_unchecked(c);
                        }
                        rle[2] = -1 - t0;
                        rle[3] = out.text.size;
                    }
                    kind = kRleString;
                } else if (p.i < p.n && p.d[p.i] == '[') {
                    ++p.i;
                    kind = kRleCounts;
                    if (p.peek(']')) {
                        ++p.i;
                    } else {
                        for (;;) {
                            int64_t v;
                            const int64_t at = p.i;
                            if (!p.integer(v)) return false;
                            if (v < 0) return p.fail("a non-negative count", at, p.i);
                            if (!out.ucounts.push(static_cast<uint64_t>(v))) return false;
                            p.ws();
                            if (p.i < p.n && p.d[p.i] == ',') { ++p.i; continue; }
                            if (p.i < p.n && p.d[p.i] == ']') { ++p.i; break; }
                            return p.fail("',' or ']' in counts");
                        }
                    }
                } else {
                    int64_t s = -1, e = -1;
                    const int64_t at = p.i;
                    p.value_span(s, e, 1);
                    p.i = at;
                    return p.fail("a compressed string or a list of counts", s, e);
                }
            } else if (!p.skip(2)) {
                return false;
            }
            p.field = outer;
            p.ws();
            if (p.i < p.n && p.d[p.i] == ',') { ++p.i; continue; }
            if (p.i < p.n && p.d[p.i] == '}') { ++p.i; break; }
            return p.fail("',' or '}'");
        }
    } else {
        ++p.i;
    }
    p.field = outer;
    if (!have_size || !have_counts) return p.fail(have_size ? "an RLE with 'counts'" : "an RLE with 'size'");
    out.kind.data[p.ann] = kind;
    return true;
}

bool parse_one(Parser& p, Annotations& out) noexcept {
    const int64_t a = p.ann;
    if (!out.ints.reserve_more(4) || !out.rle.reserve_more(4) || !out.score.push(std::numeric_limits<double>::quiet_NaN()) ||
        !out.present.push(0) || !out.kind.push(kNone))
        return false;
    for (int k = 0; k < 4; ++k) {
        out.ints.push_unchecked(0);
        out.rle.push_unchecked(-1);
    }
    if (!p.expect('{', "an annotation object")) return false;
    int32_t& present = out.present.data[a];
    if (p.peek('}')) {
        ++p.i;
    } else {
        for (;;) {
            int64_t ks = -1, ke = -1;
            p.field = "";
            if (!p.string(ks, ke) || !p.expect(':', "':'")) return false;
            int slot = -1;
            int32_t bit = 0;
            if (key_is(p.d, ks, ke, "id")) slot = 0, bit = kId, p.field = "id";
            else if (key_is(p.d, ks, ke, "image_id")) slot = 1, bit = kImageId, p.field = "image_id";
            else if (key_is(p.d, ks, ke, "category_id")) slot = 2, bit = kCategoryId, p.field = "category_id";
            else if (key_is(p.d, ks, ke, "iscrowd")) bit = kIscrowd, p.field = "iscrowd";
            else if (key_is(p.d, ks, ke, "score")) bit = kScore, p.field = "score";
            else if (key_is(p.d, ks, ke, "segmentation")) bit = kSegmentation, p.field = "segmentation";
            if (bit) {
                if (present & bit) return p.fail("each key once", ks - 1, ke + 1);
                present |= bit;
            }
            if (slot >= 0) {
                if (!p.integer(out.ints.data[4 * a + slot])) return false;
            } else if (bit == kIscrowd) {
                p.ws();
                int64_t v = 0;
                if (p.i < p.n && p.d[p.i] == 't') {
                    if (!p.word("true")) return false;
                    v = 1;
                } else if (p.i < p.n && p.d[p.i] == 'f') {
                    if (!p.word("false")) return false;
                } else {
                    const int64_t at = p.i;
                    if (!p.integer(v)) return false;
                    if (v != 0 && v != 1) return p.fail("0, 1, true or false", at, p.i);
                }
                out.ints.data[4 * a + 3] = v;
            } else if (bit == kScore) {
                if (!p.real(out.score.data[a])) return false;
            } else if (bit == kSegmentation) {
                if (!parse_segmentation(p, out)) return false;
            } else if (key_is(p.d, ks, ke, "area") || key_is(p.d, ks, ke, "bbox")) {
                if (!p.skip(1)) return false;
            } else {
                int64_t vs = -1, ve = -1;
                p.field = "";
                if (!p.value_span(vs, ve, 1)) return false;
                if (!out.extra.reserve_more(5)) return false;
                for (int64_t v : {a, ks, ke, vs, ve}) out.extra.push_unchecked(v);
            }
            p.field = "";
            p.ws();
            if (p.i < p.n && p.d[p.i] == ',') { ++p.i; continue; }
            if (p.i < p.n && p.d[p.i] == '}') { ++p.i; break; }
            return p.fail("',' or '}' in an annotation");
        }
    }
    return out.ann_part_end.push(out.part_end.size) && out.ann_ucount_end.push(out.ucounts.size);
}

template <class T>
Status one_mask(const Annotations& a, const char* data, int64_t i, int64_t h, int64_t w, RunBuf<T>& out,
                RunBuf<T>& scratch, std::vector<const T*>& ptrs, std::vector<int64_t>& lens, ParseError& err) {
    const uint64_t total = static_cast<uint64_t>(h) * static_cast<uint64_t>(w);
    const int8_t kind = a.kind.data[i];
    auto bad = [&](const char* field, const char* expected) {
        err.annotation = i;
        err.field = field;
        err.expected = expected;
        return Status::invalid_value;
    };
    if (kind == kPolygons) {
        const int64_t p0 = i ? a.ann_part_end.data[i - 1] : 0, p1 = a.ann_part_end.data[i];
        ErrorInfo e;
        if (p1 == p0) return out.push(static_cast<T>(total)) ? Status::ok : Status::bad_alloc;
        if (p1 - p0 == 1) {
            const int64_t c0 = p0 ? a.part_end.data[p0 - 1] : 0;
            const Status s = raster::coco_polygon<T>(a.xy.data + c0, (a.part_end.data[p0] - c0) / 2, h, w, out, e);
            if (s == Status::invalid_value) return bad("segmentation", "finite coordinates with |v| <= 2e8");
            return s;
        }
        scratch.size = 0;
        lens.clear();
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t c0 = p ? a.part_end.data[p - 1] : 0;
            const int64_t before = scratch.size;
            const Status s = raster::coco_polygon<T>(a.xy.data + c0, (a.part_end.data[p] - c0) / 2, h, w, scratch, e);
            if (s == Status::invalid_value) return bad("segmentation", "finite coordinates with |v| <= 2e8");
            if (s != Status::ok) return s;
            lens.push_back(scratch.size - before);
        }
        ptrs.clear();
        int64_t off = 0;
        for (int64_t l : lens) {
            ptrs.push_back(scratch.data + off);
            off += l;
        }
        return rle::merge_runs<T>(ptrs.data(), lens.data(), static_cast<int64_t>(lens.size()), false, total, out);
    }
    if (kind == kRleString || kind == kRleCounts) {
        const int64_t* r = a.rle.data + 4 * i;
        if (r[0] != h || r[1] != w) return bad("segmentation.size", "the image's [height, width]");
        if (kind == kRleString) {
            ErrorInfo e;
            const char* str = r[2] >= 0 ? data + r[2] : a.text.data + (-1 - r[2]);
            const int64_t len = r[2] >= 0 ? r[3] - r[2] : r[3] - (-1 - r[2]);
            const Status s = rle::from_string<T>(str, len, total, out, e);
            if (s == Status::corrupt_rle) return bad("segmentation.counts", "a valid compressed RLE string summing to h*w");
            return s;
        }
        const int64_t u0 = i ? a.ann_ucount_end.data[i - 1] : 0, u1 = a.ann_ucount_end.data[i];
        uint64_t sum = 0;
        for (int64_t k = u0; k < u1; ++k) {
            const uint64_t c = a.ucounts.data[k];
            if (c > total - sum) return bad("segmentation.counts", "counts summing to h*w");
            sum += c;
        }
        if (sum != total) return bad("segmentation.counts", "counts summing to h*w");
        if (!out.reserve_more(u1 - u0 + 1)) return Status::bad_alloc;
        if (u1 == u0) {
            out.push_unchecked(0);  // an empty list (0x0 mask)
        }
        for (int64_t k = u0; k < u1; ++k) out.push_unchecked(static_cast<T>(a.ucounts.data[k]));
        return Status::ok;
    }
    if (kind == kBoxes) return bad("segmentation", "polygons (a first part of exactly 4 numbers is a box to pycocotools)");
    return bad("segmentation", "a segmentation (polygons or RLE)");
}

}  // namespace

Status parse_top(const char* data, int64_t n, RunBuf<int64_t>& spans, bool& is_list, int64_t list_span[2],
                 ParseError& err) noexcept {
    Parser p{data, 0, n, err};
    is_list = false;
    p.ws();
    if (p.i >= n) return p.fail("a JSON object or array (the data is empty)"), Status::invalid_value;
    if (data[p.i] == '[') {
        is_list = true;
        list_span[0] = p.i;
        if (!p.skip(0)) return Status::invalid_value;
        list_span[1] = p.i;
    } else if (data[p.i] == '{') {
        ++p.i;
        if (p.peek('}')) {
            ++p.i;
        } else {
            for (;;) {
                int64_t ks = -1, ke = -1, vs = -1, ve = -1;
                if (!p.string(ks, ke) || !p.expect(':', "':'") || !p.value_span(vs, ve, 1)) return Status::invalid_value;
                if (!spans.reserve_more(4)) return Status::bad_alloc;
                for (int64_t v : {ks, ke, vs, ve}) spans.push_unchecked(v);
                p.ws();
                if (p.i < n && data[p.i] == ',') { ++p.i; continue; }
                if (p.i < n && data[p.i] == '}') { ++p.i; break; }
                return p.fail("',' or '}'"), Status::invalid_value;
            }
        }
    } else {
        return p.fail("a JSON object or array"), Status::invalid_value;
    }
    p.ws();
    if (p.i != n) return p.fail("the end of the data"), Status::invalid_value;
    return Status::ok;
}

Status parse_annotations(const char* data, int64_t begin, int64_t end, Annotations& out, ParseError& err) noexcept {
    Parser p{data, begin, end, err};
    if (!p.expect('[', "a list of annotations")) return Status::invalid_value;
    if (p.peek(']')) {
        ++p.i;
    } else {
        for (int64_t a = 0;; ++a) {
            p.ann = a;
            if (!parse_one(p, out)) return err.offset >= 0 ? Status::invalid_value : Status::bad_alloc;
            p.ann = -1;
            p.ws();
            if (p.i < end && data[p.i] == ',') { ++p.i; continue; }
            if (p.i < end && data[p.i] == ']') { ++p.i; break; }
            return p.fail("',' or ']' after an annotation"), Status::invalid_value;
        }
    }
    p.ws();
    if (p.i != end) return p.fail("the end of the annotations list"), Status::invalid_value;
    return Status::ok;
}

template <class T>
Status annotation_masks(const Annotations& a, const char* data, const int64_t* heights, const int64_t* widths,
                        int threads, RunBuf<T>& flat, RunBuf<int64_t>& offsets, ParseError& err) noexcept {
    const int64_t n = a.kind.size;
    const int workers = worth(threads, static_cast<uint64_t>(a.xy.size + a.ucounts.size + n * 8), 1 << 16);
    const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>(n, workers > 1 ? int64_t{workers} * 16 : 1));
    struct Block {
        RunBuf<T> counts;
        RunBuf<int64_t> lens;
        Status status = Status::ok;
        ParseError err;
    };
    std::vector<Block> parts;
    try {
        parts.resize(static_cast<size_t>(blocks));
    } catch (...) {
        return Status::bad_alloc;
    }
    parallel_for(blocks, workers, [&](int64_t b) {
        Block& blk = parts[b];
        RunBuf<T> scratch;
        std::vector<const T*> ptrs;
        std::vector<int64_t> lens;
        const int64_t lo = n * b / blocks, hi = n * (b + 1) / blocks;
        try {
            for (int64_t i = lo; i < hi; ++i) {
                const int64_t before = blk.counts.size;
                blk.status = one_mask<T>(a, data, i, heights[i], widths[i], blk.counts, scratch, ptrs, lens, blk.err);
                if (blk.status != Status::ok) return;
                if (!blk.lens.push(blk.counts.size - before)) {
                    blk.status = Status::bad_alloc;
                    return;
                }
            }
        } catch (...) {
            blk.status = Status::bad_alloc;
        }
    });
    int64_t total = 0;
    for (Block& blk : parts) {
        if (blk.status != Status::ok) {
            err = blk.err;
            return blk.status;
        }
        total += blk.counts.size;
    }
    if (!flat.reserve_more(total) || !offsets.reserve_more(n + 1)) return Status::bad_alloc;
    offsets.push_unchecked(0);
    for (Block& blk : parts) {
        if (blk.counts.size) std::memcpy(flat.data + flat.size, blk.counts.data, sizeof(T) * blk.counts.size);
        flat.size += blk.counts.size;
        for (int64_t k = 0; k < blk.lens.size; ++k) offsets.push_unchecked(offsets.data[offsets.size - 1] + blk.lens.data[k]);
    }
    return Status::ok;
}

template Status annotation_masks<uint32_t>(const Annotations&, const char*, const int64_t*, const int64_t*, int,
                                           RunBuf<uint32_t>&, RunBuf<int64_t>&, ParseError&) noexcept;
template Status annotation_masks<uint64_t>(const Annotations&, const char*, const int64_t*, const int64_t*, int,
                                           RunBuf<uint64_t>&, RunBuf<int64_t>&, ParseError&) noexcept;

}  // namespace maskcore::segments::coco
