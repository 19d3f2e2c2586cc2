// csrc/segments/coco_json.hpp — COCO instances / results JSON straight into columns and runs.
//
// WHY. json.load of a COCO file with a million polygon annotations builds tens of millions
// of Python objects (a float object per coordinate, a dict per annotation) before a single
// mask exists; that tree, not the masks, is what costs time and memory. This reader walks
// the bytes once and writes what the masks need into flat buffers: the annotations' integer
// fields as columns, every polygon coordinate into one float64 array, RLE strings as byte
// spans. Python then parses only the small parts (images, categories, any field this reader
// does not know) with the json module, from the spans given here.
//
// GRAMMAR. RFC 8259 JSON. parse_top reads the top-level value: an object (instances file:
// spans of every key's value) or an array (results file: the array is the annotations).
// parse_annotations reads an array of objects; per object the known keys are
//     id, image_id, category_id   integers (an integral float such as 3.0 is accepted)
//     iscrowd                     0, 1, true or false
//     score                       a number
//     segmentation                [[x, y, ...], ...] polygons (pycocotools' rule: if the
//                                 first part has exactly 4 numbers every part is a box
//                                 [x, y, w, h]: kind kBoxes), or {"size": [h, w],
//                                 "counts": "string" | [ints]}
//     area, bbox                  skipped (recomputed from the masks)
// and every other key is returned as an "extra" (key span, value span) for Python to load.
// Numbers are converted with std::from_chars (correctly rounded, as Python's float()).
// Nesting deeper than 512 levels is refused (no recursion blow-up on hostile input).
//
// ERRORS. Never a throw or a crash: a Status and a ParseError naming the byte offset, the
// annotation index, the field, what was expected and the offending value's span.
//
// MASKS. annotation_masks turns the columns into COCO counts with the image size of each
// annotation: polygons with raster::coco_polygon (pycocotools' rleFrPoly, bit for bit) and
// the parts' union with rle::merge_runs, compressed strings with rle::from_string, count
// lists as given (not canonicalized: pycocotools keeps them so). Annotations are independent:
// threads take them in blocks; the output is identical for every thread count.
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"

namespace maskcore::segments::coco {

enum Kind : int8_t { kPolygons = 0, kRleString = 1, kRleCounts = 2, kBoxes = 3, kNone = 4 };
enum Present : int32_t { kId = 1, kImageId = 2, kCategoryId = 4, kIscrowd = 8, kScore = 16, kSegmentation = 32 };

struct Annotations {
    RunBuf<int64_t> ints;          // 4 per annotation: id, image_id, category_id, iscrowd
    RunBuf<double> score;          // per annotation; NaN when absent
    RunBuf<int32_t> present;       // per annotation: Present bits
    RunBuf<int8_t> kind;           // per annotation: Kind
    RunBuf<double> xy;             // every polygon / box coordinate
    RunBuf<int64_t> part_end;      // per part: end of its coordinates in xy
    RunBuf<int64_t> ann_part_end;  // per annotation: end of its parts in part_end
    RunBuf<int64_t> rle;           // 4 per annotation: h, w, counts string start, end (-1 if none); a
                                   // string with JSON escapes (COCO strings may hold '\\') is unescaped
                                   // into `text`, and start is then -1 - (its start in text)
    RunBuf<char> text;             // unescaped counts strings
    RunBuf<uint64_t> ucounts;      // uncompressed counts of every kRleCounts annotation
    RunBuf<int64_t> ann_ucount_end;  // per annotation: end of its counts in ucounts
    RunBuf<int64_t> extra;         // 5 per unknown key: annotation, key start, key end, value start, value end
};

struct ParseError {
    int64_t offset = -1;          // byte offset in the data
    int64_t annotation = -1;      // index of the annotation, -1 outside one
    const char* field = "";       // JSON key being read ("" for structure)
    const char* expected = "";    // what the reader wanted
    int64_t value_start = -1, value_end = -1;  // the offending value (clipped by the caller)
};

// Top level: spans (4 per key: key start, key end, value start, value end), or is_list with
// list_span = the array's [start, end).
Status parse_top(const char* data, int64_t n, RunBuf<int64_t>& spans, bool& is_list, int64_t list_span[2],
                 ParseError& err) noexcept;

Status parse_annotations(const char* data, int64_t begin, int64_t end, Annotations& out, ParseError& err) noexcept;

// Counts of every annotation of kind kPolygons, kRleString or kRleCounts (others: err with
// kind "segmentation"); heights / widths per annotation (the image size for polygons; RLE
// sizes must equal them). T: uint32_t when every h*w < 2^32.
template <class T>
Status annotation_masks(const Annotations& a, const char* data, const int64_t* heights, const int64_t* widths,
                        int threads, RunBuf<T>& flat, RunBuf<int64_t>& offsets, ParseError& err) noexcept;

}  // namespace maskcore::segments::coco
