// The kernel listing behind maskcore.show_config(): for every family and kernel, the
// variant that runs at each ISA level, read from the families' own IsaTables (so it
// cannot drift from what dispatch does): the variant at level i is the lowest level
// whose entry is the same function (a family without a variant for a level reuses a
// narrower one's entry; a null entry means the scalar path). Raster and contour have
// no per-ISA variants: their rows say so.
#include "dispatch.hpp"

#include "../ccl/ccl.hpp"
#include "../metrics/metrics.hpp"
#include "../rle/rle.hpp"
#include "../segments/segments.hpp"
#include "../slic/slic.hpp"

namespace maskcore {
namespace {

struct Rows {
    KernelRow* out;
    int room, n = 0;
    // One kernel: get(level) is its entry (a function pointer) at that level.
    template <class Get>
    void add(const char* family, const char* kernel, Get get) noexcept {
        if (n >= room) { ++n; return; }
        KernelRow& r = out[n++];
        r.family = family;
        r.kernel = kernel;
        for (int i = 0; i < kIsaCount; ++i) {
            const auto f = get(static_cast<Isa>(i));
            int j = 0;
            while (j < i && get(static_cast<Isa>(j)) != f) ++j;
            r.variant[i] = f ? isa_name(static_cast<Isa>(j)) : "scalar";
        }
    }
    void fixed(const char* family, const char* kernel, const char* variant) noexcept {
        if (n >= room) { ++n; return; }
        out[n++] = KernelRow{family, kernel, {variant, variant, variant}};
    }
};

}  // namespace

int kernel_rows(KernelRow* out, int room) noexcept {
    Rows r{out, room};
    const auto& rle = rle::kernel_table<uint32_t>();
    r.add("rle", "find_transitions", [&](Isa i) { return rle.at(i).find_transitions; });
    r.add("rle", "codec_encode", [&](Isa i) { return rle.at(i).codec_encode; });
    r.add("rle", "codec_decode", [&](Isa i) { return rle.at(i).codec_decode; });
    r.add("rle", "and_popcount", [&](Isa i) { return rle.at(i).and_popcount; });
    const auto& met = metrics::kernel_table();
    r.add("metrics", "count_pair", [&](Isa i) { return met.at(i).count_pair; });
    r.add("metrics", "hist_u8", [&](Isa i) { return met.at(i).hist_u8; });
    r.add("metrics", "flush_sub", [&](Isa i) { return met.at(i).flush_sub; });
    r.add("metrics", "boundary_column", [&](Isa i) { return met.at(i).boundary_column; });
    const auto& sl = slic::kernel_table();
    r.add("slic", "assign_window", [&](Isa i) { return sl.at(i).assign; });
    r.add("slic", "accumulate", [&](Isa i) { return sl.at(i).accumulate; });
    r.add("slic", "lab_row", [&](Isa i) { return sl.at(i).lab_row; });
    const auto& cc = ccl::kernel_table();
    r.add("ccl", "find_runs", [&](Isa i) { return cc.at(i).find_runs8; });
    r.add("ccl", "paint", [&](Isa i) { return cc.at(i).paint32; });
    r.add("ccl", "join_window", [&](Isa i) { return cc.at(i).join8_32; });
    r.add("ccl", "transpose", [&](Isa i) { return cc.at(i).transpose32; });
    const auto& seg = segments::kernel_table();
    r.add("segments", "row_diff", [&](Isa i) { return seg.at(i).row_diff; });
    r.fixed("raster", "scan, spans, strokes", "baseline");
    r.fixed("contour", "trace", "baseline + sse2");
    return r.n;
}

}  // namespace maskcore
