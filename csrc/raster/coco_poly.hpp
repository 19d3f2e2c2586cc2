// csrc/raster/coco_poly.hpp — polygon to COCO RLE, the "coco" rule.
//
// WHAT. The mask pycocotools' rleFrPoly (2.0.11) paints for one polygon, bit for
// bit, written straight as canonical COCO counts (rle.hpp): no h x w buffer, and
// no dense walk of the boundary either. Cost is O(k + crossings) for k vertices
// (each column's crossings are sorted: usually 2 or 4), whatever the polygon's size
// in pixels or its extent outside the image.
//
// THE RULE BEING REPRODUCED. Every vertex is moved to a 5x finer grid,
// X = (int)(5 x + 0.5) (C truncation: towards zero, so negative values round up).
// Each edge is walked as a digital line over that grid: along x when |dX| >= |dY|
// (one point per X, Y = (int)(Y0 + s t + 0.5) with the slope s in doubles), else
// along y (one point per Y, X rounded the same way); edges are always walked from
// the end with the smaller major coordinate, so a reversed edge has the same points.
// Wherever two successive points of the walk differ in X, the walk crosses the
// vertical line between fine columns xd and xd + 1, with xd = the larger X - 1 when X
// grows, the smaller X when it falls (the same thing for unit steps). Only the fine
// columns 5c + 2 (the centre line of pixel column c is 5c + 2.5) with 0 <= c < w
// count; their crossing row is
//
//     y = clamp(ceil((Yd - 2) / 5), 0, h)      Yd = the smaller Y of the two points,
//
// i.e. the first pixel row whose centre lies at or below the crossing. A pixel
// column is then "inside" between alternate crossings: every crossing toggles the
// mask at linear index c * h + y of the column-major flattening (an index h * w
// toggles nothing), so two crossings at one index cancel.
//
//       fine x:  5c  5c+1  5c+2 | 5c+3  5c+4      <- the walk stepping 5c+2 -> 5c+3 (or
//                               ^                     back) toggles pixel column c
//                      centre of pixel column c       from row y downwards
//
// ALGORITHM. Three passes, O(k + crossings + columns spanned) in all:
// 1. Per edge, the pixel columns c0..c1 it can cross, clipped to [0, w), from bounds
//    kept per vertex (most edges of real polygons cross none or a few): an x-major
//    edge crosses 5c + 2 -> 5c + 3 at the walk step t = 5c + 2 - X0; a y-major edge
//    steps in X at most once per point, between its rounded end values X + (X < 0),
//    which clip to the same columns. The edges that cross any are filed, without a
//    branch, into an x-major and a y-major list. Each column c gets one slot per edge
//    spanning it: a difference array over the columns spanned by the polygon, summed,
//    gives every column's first slot (a counting placement, no sort).
// 2. Per edge, the crossing row of each of its columns, written straight into that
//    column's next slot. x-major: the step's two Y values by pycocotools' exact double
//    expression, in vectorized blocks; y-major: the step for column c is found by
//    solving the line for t and correcting the guess against the exact expression
//    (X(t) is monotone in t because every rounding step is); a column whose X value
//    the walk jumps over (rounding at ~2^26 only) leaves its slot marked empty.
// 3. Column by column: sort the column's few rows (usually 2 or 4), keep the linear
//    indices c * h + y toggled an odd number of times (y == h of column c is row 0 of
//    column c + 1: one index, so the parity runs across columns), and difference
//    them into counts.
//
// INVARIANTS. Output counts are canonical (rle.hpp) and sum to h * w; the 0-area
// cases (h == 0 or w == 0) give [0]. A polygon with fewer than 3 distinct points
// encloses nothing (0 or 1 point: no steps; 2 points: out and back, each crossing
// twice), as in pycocotools. Edges of length 0 (repeated points) give nothing; in
// pycocotools their slope is 0/0 and their point's Y is (int)NaN, which can never
// meet a column step (both neighbours of that point have the same X).
//
// LIMITS. Coordinates must be finite and |v| <= kCocoMaxCoordinate (2e8): then every
// fine coordinate, difference and walk index fits pycocotools' 32-bit int, so "the
// same rule" is well defined (beyond it pycocotools' arithmetic overflows, and it
// allocates one point per fine step, gigabytes). Anything else is invalid_value,
// err.index = the offending value's index in xy. h * w must fit in int64
// (overflow); counts are uint32 when h * w < 2^32 (pycocotools' only range) and
// uint64 beyond. Floating point: the two rounding expressions are evaluated as
// written, in doubles, with no contraction (setup.py: -ffp-contract=off).
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"

namespace maskcore::raster {

inline constexpr double kCocoMaxCoordinate = 2e8;

// Appends the canonical counts of polygon xy[0..2k) = x0, y0, x1, y1, ... (closed
// implicitly) over an h x w mask to `out`. T: uint32_t (h * w < 2^32) or uint64_t.
// Scratch memory is kept per thread.
template <class T>
Status coco_polygon(const double* xy, int64_t k, int64_t h, int64_t w, RunBuf<T>& out, ErrorInfo& err) noexcept;

}  // namespace maskcore::raster
