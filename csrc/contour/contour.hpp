// csrc/contour/contour.hpp — masks and label maps to polygons with holes.
//
// WHAT. Every connected component of a binary mask (or of each label of a label
// map) becomes one outer ring plus one ring per hole, with the hierarchy (which
// component lies in which hole of which component), in one raster scan plus one
// walk along each boundary. Two vertex conventions from the same walk:
//
//   exact   the crack boundary: vertices on pixel corners (x, y integers; pixel
//           (r, c) covers [c, c+1) x [r, r+1)), collinear points merged. Filling
//           the rings with the pixel-centre / even-odd rule gives back the mask
//           bit for bit (a centre (c+.5, r+.5) is never on a corner-to-corner edge).
//   centres the boundary pixels' centres (c + .5, r + .5), the 8-connected chain
//           Suzuki & Abe's border following visits, compressed to the points where
//           the chain direction changes (OpenCV's CHAIN_APPROX_SIMPLE).
//
// ALGORITHM. Pixels outside the image count as 0 (the walk tests bounds; rows are
// read in place when columns are contiguous, else from one C-ordered copy). A
// crack edge separates two 4-adjacent pixels
// of which one is in the label L and the other is not; it is directed so that the
// L pixel lies on its left in the (x right, y down) frame read as a plain
// Cartesian frame, i.e. at +90 degrees from the direction:
//
//      E (+x): L below      S (+y): L to the west     W (-x): L above     N (-y): L east
//
// so outer rings have positive shoelace area and holes negative. At each corner
// the walk reads the two pixels ahead, a on the non-L side and b on the L side:
//
//        a  |  (ahead)          a=0 b=1: straight on
//      -----+-----              a=0 b=0: turn towards L (d + 1)
//        b  |                   a=1 b=1: turn away from L (d + 3)
//      -->  (moving E here)     a=1 b=0: a saddle: the two L pixels touch at a corner.
//                                        connectivity 8 joins them (d + 3),
//                                        connectivity 4 keeps them apart (d + 1).
//
// The non-L pixels are then connected with the dual connectivity (4 <-> 8), which
// makes the picture well behaved (Rosenfeld, "Digital topology", Amer. Math.
// Monthly 86, 1979): components and holes alternate in a tree, every ring separates
// exactly one L component from one non-L component, and every ring is closed.
//
// Rings are found by one raster scan over the vertical cracks (run ends) of each
// row, left to right; each vertical crack is marked with its ring when walked. The
// first crack of a ring met in raster order has L on its east side for an outer
// ring (the left edge of the component's first pixel in raster order) and L on its
// west side for a hole (the left edge of the hole's first pixel), so an unmarked
// crack starts a new ring whose kind is known at once, and components are numbered
// in raster order of their first pixel (as scipy/scikit-image label them). The
// owner of a new hole is the component of the nearest crack of L to its left on
// the same row (the L run the hole starts after); the hole containing a new
// component is the non-L region right of the nearest crack of L to its left,
// i.e. the region of that crack's ring (the outside, or a hole traced earlier:
// a hole's first pixel comes before everything inside it). This is the
// hierarchy of Suzuki & Abe ("Topological structural analysis of digitized binary
// images by border following", CVGIP 30, 1985) recovered from crack marks instead
// of their NBD / LNBD pixel labels; the walk itself is a crack follower (as in
// rasterio/GDAL's polygonize, but without a per-pixel edge graph).
//
// The centre chain is read off the same crack walk: the L pixel beside each crack,
// consecutive repeats dropped. At a convex corner the pixel repeats, along a side
// it steps 4-adjacent, at a concave corner (a=1 b=1) it jumps diagonally: exactly
// the 8-connected chain of border following. It keeps the points where the chain
// direction changes, cyclically, which is the set CHAIN_APPROX_SIMPLE keeps (it
// too drops its start point where the chain runs straight through it), so the
// vertex set does not depend on where a walk starts. Our rings run the other way
// round from OpenCV's (see the orientation above).
//
// INVARIANTS. Rings are not closed (no repeated first vertex). Exact rings have >= 4
// vertices, alternately horizontal and vertical edges; with connectivity 8 an outer
// ring (and with 4 a hole) may pass one corner twice. Centre rings have >= 1 point.
// Component areas are exact pixel counts (shoelace of the crack rings).
//
// LIMITS. (h + 2) (w + 2) must be < 2^31 (ring ids and vertex coordinates are int32
// internally) -> overflow. Binary input must be 0/1 (invalid_value, err.index =
// r * w + c of the first other value in row-major order, err.value = the value).
// Memory: one uint32 crack mark per framed pixel (two for label maps), kept per
// thread between calls (within csrc/common/thread_scratch.hpp's one limit) and zero
// between calls, plus an h x w copy
// when the columns are strided (Fortran order, views).
//
// VARIANTS. One template over the pixel type (uint8 binary and label maps of
// uint8 / uint16 / int32 / int64). The run-end scan compares 32 bytes at a time
// with SSE2 (baseline x86-64: the same code under every ISA). Single-threaded.
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"

namespace maskcore::contour {

struct Traced {
    RunBuf<double> xy;               // x, y of every vertex, ring after ring
    RunBuf<int64_t> ring_end;        // vertex count after each ring (cumulative)
    RunBuf<int64_t> ring_comp;       // the component each ring bounds
    RunBuf<int64_t> comp_outer;      // each component's outer ring
    RunBuf<int64_t> comp_hole_ring;  // the hole ring (a ring index) that contains it, -1 = none
    RunBuf<int64_t> comp_area;       // pixels
    RunBuf<int64_t> comp_label;      // the label value (1 for binary masks)
};

struct Options {
    int connectivity = 8;   // 4 or 8, for the L pixels (the rest use the other one)
    bool exact = false;     // crack rings (true) or centre chains (false)
};

// binary: values must be 0/1 and label 1 is traced; else every nonzero value is a label.
template <class T>
Status trace(View2D<const T> img, bool binary, const Options& opt, Traced& out, ErrorInfo& err) noexcept;

// ---- simplification and measuring (simplify.cpp)

// One object: rings [ring_begin, ring_end) of a flat ring list.
// Simplifies every ring of every object with Douglas-Peucker at tolerance eps,
// never letting two segments of one object cross or a ring collapse below 3
// points (4 for rings that had >= 4): a segment that crosses another is split at
// its farthest dropped point until nothing crosses (original rings are never
// crossed, so this ends). Output: the kept vertex flags, keep[v] for every vertex.
Status simplify(const double* xy, const int64_t* ring_end, int64_t n_rings, const int64_t* obj_ring_end,
                int64_t n_objects, double eps, uint8_t* keep) noexcept;

// Pixel-centre / even-odd fill of each object's rings, ORed over objects into out
// (zeroed by the caller): a centre is inside when an odd number of its row's edge
// crossings lie at x <= the centre's x (edges count for rows with centre in [y0, y1)).
Status fill(const double* xy, const int64_t* ring_end, const int64_t* obj_ring_end, int64_t n_objects,
            View2D<uint8_t> out) noexcept;

// Pixel-centre / even-odd fill of each object's rings, ORed over objects, compared
// with the mask: intersection and union pixel counts.
Status fill_compare(const double* xy, const int64_t* ring_end, int64_t n_rings, const int64_t* obj_ring_end,
                    int64_t n_objects, View2D<const uint8_t> mask, int64_t& inter, int64_t& uni) noexcept;

}  // namespace maskcore::contour
