// csrc/chunked/chunked.hpp — the cross-block steps of chunked (Dask) labeling.
//
// WHAT. maskcore/dask.py labels a chunked image block by block (each block with
// ccl::label, independently, ids 1..n_b local to the block) and makes the result
// equal to labeling the whole image, numbering included. These kernels are the
// steps between the blocks:
//
//   first_pixels   per local label, the C-order flat index of its first pixel in
//                  the block. ccl::label numbers labels in order of first
//                  appearance, so one scan that waits for label `next` finds them all:
//                  a pixel's label is <= next (it was seen, or it is next).
//   seam_pairs     the (id, id) equivalences across one seam: two facing planes A
//                  (the last slice before a chunk boundary along one axis) and B (the
//                  first slice after it), each assembled over the whole image from the
//                  blocks' faces, holding block-unique global ids (0 = background).
//                  A[p] joins B[p + o] for every in-plane offset o the connectivity
//                  allows when one step is already taken across the seam:
//                        2D   4: o = 0          8: o in {-1, 0, 1}
//                        3D   6: (0, 0)        18: (0,0) (+-1,0) (0,+-1)  (cross)
//                            26: the 3x3 square
//                  (`reach` 0 = centre only, 1 = cross, 2 = square; in 1D planes cross
//                  is centre). A diagonal block neighbour needs no case of its own: a
//                  pixel pair across a block corner also crosses the seam plane of one
//                  axis at an in-plane offset, and the planes span every block.
//                  Multi-label: pairs join only when the facing source values (keys)
//                  are equal. A pair equal to the one emitted just before is skipped
//                  (long shared borders repeat one pair).
//   merge_numbering  one union-find over the global ids 1..N and the pairs; union
//                  links the root whose first pixel (global raster index) comes later
//                  under the other, so each set's root holds the component's first
//                  pixel; roots sorted by that index are numbered 1..n. The result,
//                  final[id], is the numbering of ccl::label on the whole image
//                  (raster order of each component's first pixel).
//
// LIMITS. Ids are uint64; N + 1 entries of 16 bytes (parent, result) plus 16 bytes
// per root for the sort. Path halving; no recursion. GIL-free, single-threaded
// (the pair lists are small next to the image).
#pragma once
#include <cstdint>

#include "../common/common.hpp"
#include "../common/runbuf.hpp"

namespace maskcore::chunked {

// first[k - 1] = C-order flat index of label k's first pixel, k = 1..n, for a
// C-contiguous label block of `size` elements numbered in order of first appearance.
// invalid_value when a label > n or out of that order appears (err.index: its flat
// index, err.value: the label), or when labels stop before n (err.index = size,
// err.value: the first label missing).
template <class Idx>
Status first_pixels(const Idx* labels, int64_t size, int64_t n, int64_t* first, ErrorInfo& err) noexcept;

// Pairs across a seam: A and B are P x Q C-contiguous planes of global ids; keys
// (may be null: binary) are P x Q planes of source values.
Status seam_pairs(const uint64_t* a, const uint64_t* b, const uint64_t* key_a, const uint64_t* key_b, int64_t P,
                  int64_t Q, int reach, RunBuf<uint64_t>& out) noexcept;

// final[0] = 0; final[i] (1..N) = the component number of id i; *n = the count.
// first[i] is id i's first-pixel global index (first[0] unused). invalid_value
// when a pair names an id outside 1..N (err.index: the pair, err.value: the id's
// bits, err.kind: 0 for pa, 1 for pb).
Status merge_numbering(const int64_t* first, int64_t N, const uint64_t* pa, const uint64_t* pb, int64_t m,
                       uint64_t* final_ids, int64_t* n, ErrorInfo& err) noexcept;

}  // namespace maskcore::chunked
