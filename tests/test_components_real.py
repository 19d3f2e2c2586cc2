"""maskcore.label on the real label maps in ../shared/data (VOC, Cityscapes, LoveDA,
Potsdam, LIP, Mapillary PNGs; COCO panoptic PNGs as id = R + 256 G + 256^2 B; the NIfTI
volumes): labels, count and statistics equal scikit-image's (label, regionprops)."""
from pathlib import Path

import numpy as np
import pytest
from skimage.measure import label as sk_label
from skimage.measure import regionprops

import maskcore

LABEL_PNGS = [
    "pascal_voc2012/SegmentationClass/2007_000032.png",
    "semantic_mmseg_samples/cityscapes/gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelIds.png",
    "semantic_mmseg_samples/cityscapes/gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_labelTrainIds.png",
    "semantic_mmseg_samples/cityscapes/gtFine/val/frankfurt/frankfurt_000000_000294_gtFine_instanceIds.png",
    "semantic_mmseg_samples/isprs_potsdam/ann_dir/2_10_0_0_512_512.png",
    "semantic_mmseg_samples/lip/train_segmentations/684_2150041.png",
    "semantic_mmseg_samples/loveda/ann_dir/0.png",
    "semantic_mmseg_samples/loveda/ann_dir/1.png",
    "semantic_mmseg_samples/mapillary_vistas/v1.2/__CRyFzoDOXn6unQ6a3DnQ.png",
    "semantic_mmseg_samples/mapillary_vistas/v2.0/__CRyFzoDOXn6unQ6a3DnQ.png",
]
PANOPTIC_DIRS = ["coco_panoptic_panopticapi/panoptic_examples", "coco_val2017_panoptic20_labelbox/panoptic_masks"]


def load_png(path: Path) -> np.ndarray:
    from PIL import Image

    img = np.asarray(Image.open(path))
    if img.ndim == 3:  # COCO panoptic: segment id = R + 256 G + 256^2 B
        rgb = img[..., :3].astype(np.uint32)
        return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
    return img


def check(image, conn, rank):
    labels, n, stats = maskcore.label(image, connectivity=conn, return_stats=True)
    expect = sk_label(image, connectivity=rank, background=0)
    assert n == expect.max(initial=0)
    np.testing.assert_array_equal(labels, expect)
    return labels, n, stats


def check_regionprops(labels, stats, image):
    props = regionprops(labels.astype(np.int64))
    assert [p.area for p in props] == stats["area"].tolist()
    assert [tuple(p.bbox) for p in props] == [tuple(b) for b in stats["bbox"].tolist()]
    assert [tuple(p.centroid) for p in props] == [tuple(c) for c in stats["centroid"].tolist()]
    firsts = [tuple(p.coords[0]) for p in props]
    assert stats["value"].tolist() == [image[f] for f in firsts]


@pytest.mark.parametrize("conn,rank", [(4, 1), (8, 2)])
def test_semantic_pngs(shared_data, conn, rank):
    for rel in LABEL_PNGS:
        image = load_png(shared_data / rel)
        labels, n, stats = check(image, conn, rank)
        assert n > 0, rel
        check_regionprops(labels, stats, image)
        bin_labels, m = maskcore.label(image, connectivity=conn, binary=True)
        np.testing.assert_array_equal(bin_labels, sk_label(image != 0, connectivity=rank))


@pytest.mark.parametrize("conn,rank", [(4, 1), (8, 2)])
def test_panoptic_pngs(shared_data, conn, rank):
    files = sorted(p for d in PANOPTIC_DIRS for p in (shared_data / d).glob("*.png"))
    assert files
    for path in files:
        image = load_png(path)
        labels, n, stats = check(image, conn, rank)
        check_regionprops(labels, stats, image)
        # the QA check: segments of one id that fall apart into several pieces
        pieces = maskcore.disconnected_instances(image, connectivity=conn)
        for seg_id, count in pieces.items():
            assert sk_label(image == seg_id, connectivity=rank).max() == count


def test_nifti_volumes(shared_data):
    nib = pytest.importorskip("nibabel")  # an extra; the core peers are imported above
    ann = np.asarray(nib.load(shared_data / "nifti_3d/mmseg_biomedical/biomedical_ann.nii.gz").dataobj)
    atlas = np.asanyarray(nib.load(shared_data / "nifti_3d/d99_macaque_atlas/D99_atlas_v2.0_right.nii.gz").dataobj)
    assert np.array_equal(atlas, np.round(atlas))
    # a central block of the atlas keeps the suite fast (the whole volume is 23 M voxels)
    z, y, x = (s // 2 for s in atlas.shape)
    block = atlas[z - 48:z + 48, y - 64:y + 64, x - 64:x + 64].astype(np.int32)
    for volume in (ann, block, np.asfortranarray(block)):
        for conn, rank in [(6, 1), (18, 2), (26, 3)]:
            labels, n, stats = check(volume, conn, rank)
            assert n > 0
            ref_area = np.bincount(labels.ravel(), minlength=n + 1)[1:]
            np.testing.assert_array_equal(stats["area"], ref_area)
    labels, n, stats = check(ann, 26, 3)
    check_regionprops(labels, stats, ann)
