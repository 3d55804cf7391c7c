"""Lifting 2D camera detections to 3D boxes with the lidar points that project into them.

`Lifter` is the `lift` part of the fusion module (docs/MODEL.md, "Module contract"):

    forward(boxes_2d [M,4] f32 px (x1,y1,x2,y2), classes [M] i64 (CLASS_*),
            points [N,4] f32 (x,y,z,intensity, lidar frame), lidar_to_image [3,4] f32)
        -> (boxes_3d [M,7] f32 (x,y,z centre, length, width, height, yaw about lidar z),
            num_points [M] i64)

It is TorchScript-able (plain torch ops, no numpy/torchvision) because the fusion node runs it
from Rust through LibTorch. Per frame it does:

1. Camera. `lidar_to_image = M` is `P · T(camera <- lidar)`; its left 3x3 block gives the camera
   centre and the rays through pixels, and sign(det) tells which side of the camera is "in front"
   whatever the overall scale of M. A non-finite or singular M (|det| <= 1e-9 |M3|_F^3 for its
   left 3x3 block M3) gives all-zero boxes with num_points 0: nothing can be projected or
   back-projected.
2. Points. Rows with a non-finite (or beyond `max_coordinate`) x/y/z, and points less than
   `min_depth` in front of the camera (behind it, or so close that their projection
   explodes), are ignored. Points behind the camera never reach any later step.
3. Ground. A plane z = a·x + b·y + c fitted to the points in front of the camera: the median of
   per-cell lowest points (robust to cars, walls, vegetation) seeds it, then least squares on
   the points near the plane, three times with a shrinking band. Nothing assumes the sensor
   height; a slope over ~11 degrees is rejected (kept level). Points less than
   `ground_clearance` above it are dropped: ground in a box's frustum lies *in front of* the
   object and would otherwise join or beat it.
4. Per box. The points are sorted by image column once, so a box's frustum is one slice found
   by binary search. Frustum, clustering, choice and yaw run for all boxes at once (the frusta
   laid end to end, each clustered on its own); extents and placement run per box:
   - frustum: points projecting into the box shrunk by `frustum_shrink` per side (box edges
     hold background), above ground and below the class height cap (branches, signs);
   - clustering: connected components of the points' occupied BEV cells (`cluster_cell`).
     A split by range alone merges an occluding car with the car behind it whenever their
     ranges touch (KITTI 000008's two nearest cars do);
   - choice: each component is scored by how much of the box it covers: occupied cells of a
     grid over the box (narrow columns, tall rows: spinning lidars sample finely across and
     coarsely upwards), weighted towards the box centre. Coverage does not grow with point
     density, so a near occluder with many points does not beat the object by numbers, and
     background showing at the box edges counts little. It is multiplied by a loose
     log-normal agreement with the camera-only range. This replaces "the nearest dense
     cluster", which picks any occluder poking into the box. The best component with at least
     `min_cluster_points` points is the object; its size is num_points;
   - BEV yaw: the axes whose two strongest faces hold the most points (`_face_angles`),
     searched over [0, pi/2) coarse then fine, on the points below 60 % of the class height
     (the box-shaped body; glass, bonnet and roof slope inwards). Pedestrians and unknown
     classes take the ray's azimuth: their outline says nothing about heading. Which axis is
     the length: the assignment whose visible extents best fit the class size, ties (e.g.
     only a car's rear seen) going to the one aligned with the lidar x axis (the ego's
     heading: traffic is mostly parallel to it);
   - size: a visible extent is a lower bound of the true one (the lidar sees the near faces;
     occlusion and the image border cut them), so each of l, w, h is E[D | D >= visible]
     under a normal class prior, capped at prior + 4 sigma (the excess is clutter);
   - placement: along each axis the sensor sees the end facing it. If points spread across
     that end it is a real face, and the box grows from it away from the sensor; otherwise
     (the end was cut by the image border or an occluder, or the sensor faces the side) the
     missing size is split evenly about the visible part;
   - height: the bottom on the ground plane below the centre, unless the object's top is out
     of the class's reach from the plane (a road rising far ahead), then the object's own
     lowest/highest points;
   - heading sign: the outline cannot tell front from back, so yaw points away from the
     sensor (within +-90 degrees of the ray). Compare yaw modulo pi.
5. Camera-only estimate (num_points 0) when the frustum holds no usable cluster (no points,
   all behind the camera, all ground, ...): the range at which the class height prior spans
   the box's pixel height (through the full projection matrix, one refinement step), the
   centre on the ray through the box centre half a prior length beyond that face, prior size,
   yaw along the ray. Degenerate boxes (non-finite, < 1 px wide or tall) give zeros, num 0.

Shapes that break the contract raise a RuntimeError naming the argument; values never raise.
"""
import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor

# Size priors per class id, (length, width, height) in metres, with the spread (1 sigma) used
# when visible extents are combined with them. Row 0 stands for an id outside 1..6.
# Car/pedestrian/cyclist: KITTI class means; truck/bus/motorcycle: nuScenes-like means (COCO's
# "truck" spans pickups to lorries, hence its wide length sigma).
SIZE_PRIORS: List[List[float]] = [
    [1.0, 1.0, 1.5],  # 0 unknown id
    [3.9, 1.6, 1.56],  # 1 car
    [6.9, 2.5, 2.8],  # 2 truck
    [11.0, 2.9, 3.4],  # 3 bus
    [0.8, 0.6, 1.73],  # 4 pedestrian
    [1.76, 0.6, 1.73],  # 5 cyclist
    [2.1, 0.8, 1.5],  # 6 motorcycle
]
SIZE_SIGMAS: List[List[float]] = [
    [0.5, 0.5, 0.5],
    [0.45, 0.10, 0.14],
    [2.5, 0.30, 0.50],
    [1.5, 0.20, 0.30],
    [0.20, 0.15, 0.12],
    [0.25, 0.15, 0.12],
    [0.30, 0.15, 0.20],
]
# Whether the outline in BEV tells the orientation (rigid, elongated objects).
FIT_YAW: List[bool] = [False, True, True, True, False, True, True]


def _inverse3(m: Tensor) -> Tuple[Tensor, Tensor]:
    """Inverse and determinant of a 3x3 matrix by cross products. torch.linalg.inv raises on
    singular input; this never does (the caller checks the determinant)."""
    r0, r1, r2 = m[0], m[1], m[2]
    c12 = torch.linalg.cross(r1, r2)
    c20 = torch.linalg.cross(r2, r0)
    c01 = torch.linalg.cross(r0, r1)
    det = torch.dot(r0, c12)
    safe = torch.where(det == 0, torch.ones_like(det), det)
    return torch.stack([c12, c20, c01], dim=1) / safe, det


def _posterior_size(visible: float, mean: float, sigma: float) -> float:
    """E[D | D >= visible] for D ~ N(mean, sigma): the visible extent only bounds the true one
    from below. Close to `mean` when little is seen, close to `visible` when more than the
    prior is seen; capped at mean + 4 sigma, beyond which the excess is clutter."""
    alpha = (visible - mean) / sigma
    if alpha < 4.0:  # the Mills ratio pdf / tail
        tail = max(0.5 * math.erfc(alpha / math.sqrt(2.0)), 1e-300)
        ratio = math.exp(-0.5 * alpha * alpha) / math.sqrt(2.0 * math.pi) / tail
    else:  # the tail underflows; its asymptote
        ratio = alpha + 1.0 / alpha
    return min(mean + sigma * ratio, mean + 4.0 * sigma)


def _dense_ids(values: Tensor) -> Tuple[Tensor, Tensor]:
    """Sorted distinct values and, for each input, the index of its value among them
    (torch.unique with return_inverse, spelled out for TorchScript)."""
    ordered, order = torch.sort(values)
    step = torch.ones_like(ordered, dtype=torch.bool)
    step[1:] = ordered[1:] != ordered[:-1]
    index = torch.cumsum(step.long(), 0) - 1
    inverse = torch.empty_like(index)
    inverse[order] = index
    return ordered[step], inverse


def _ends(values: Tensor) -> List[List[float]]:
    """2nd and 98th percentiles along dim 0 (nearest rank): extents that a few stray points
    do not stretch. Two selections on contiguous rows: torch 2.11 sorts floats slowly (a full
    sort cost up to 6x more here, with long tails), and torch.quantile costs more still."""
    rows = values.reshape(values.shape[0], -1).t().contiguous()
    n = values.shape[0]
    low = torch.kthvalue(rows, int(0.02 * (n - 1) + 0.5) + 1, dim=1)[0]
    high = torch.kthvalue(rows, int(0.98 * (n - 1) + 0.5) + 1, dim=1)[0]
    ends: List[List[float]] = torch.stack([low, high]).tolist()
    return ends


def _ascending(values: Tensor) -> Tuple[Tensor, Tensor]:
    """Finite float32 `values` sorted ascending, and the order that sorts them. Sorted through
    exact int64 keys (sign, exponent, mantissa): torch 2.11 radix-sorts integers, and keys plus
    sort took 0.8 ms for 41 k points where its float sort took 5-7 ms (2 threads). TorchScript
    cannot view the bits as integers, so frexp spells them out."""
    mantissa, exponent = torch.frexp(values.abs())  # |v| = m 2^e, m in [0.5, 1): 24 exact bits
    magnitude = (exponent.long() + 150) * (1 << 24) + (mantissa * (1 << 24)).long()
    keys = torch.where(values > 0, magnitude, -magnitude)
    keys = torch.where(values == 0, torch.zeros_like(keys), keys)
    order = torch.sort(keys, stable=True)[1]
    return values.index_select(0, order), order


def _densest_windows(bins: Tensor, row: Tensor, rows: int) -> Tensor:
    """For each of `rows` histograms, the largest count of two neighbouring bins, given each
    sample's bin and row. One [rows, widest] matrix while that is small (fast row maxima);
    past 4 M bins (one long object, a wall, would widen every row) each row only as long as
    it needs, end to end, with the windows that would span two rows left out."""
    width = torch.zeros(rows, dtype=torch.int64, device=bins.device)
    width = width.scatter_reduce(0, row, bins, "amax", include_self=True) + 2  # + an empty bin
    widest = int(width.max())
    ones = torch.ones(bins.shape[0], dtype=torch.float64, device=bins.device)
    if rows * widest <= (1 << 22):
        hist = torch.zeros(rows * widest, dtype=torch.float64, device=bins.device)
        hist = hist.scatter_add_(0, row * widest + bins, ones).reshape(rows, widest)
        return (hist[:, :-1] + hist[:, 1:]).max(1)[0]
    end = torch.cumsum(width, 0)
    hist = torch.zeros(int(end[-1]), dtype=torch.float64, device=bins.device)
    hist = hist.scatter_add_(0, (end - width).index_select(0, row) + bins, ones)
    windows = hist[:-1] + hist[1:]
    windows[end[:-1] - 1] = 0.0  # a row's empty last bin with the next row's first
    window_row = torch.repeat_interleave(torch.arange(rows, device=bins.device), width)[:-1]
    densest = torch.zeros(rows, dtype=torch.float64, device=bins.device)
    return densest.scatter_reduce(0, window_row, windows, "amax", include_self=True)


def _float64(values: List[float], device: torch.device) -> Tensor:
    """A float64 tensor of exactly `values`. In TorchScript (torch 2.11) torch.tensor of a float
    list goes through float32 even with dtype=torch.float64, which rounds them."""
    if len(values) == 0:
        return torch.zeros(0, dtype=torch.float64, device=device)
    return torch.cat([torch.full((1,), value, dtype=torch.float64, device=device) for value in values])


def _all_finite(values: List[float]) -> bool:
    return all([math.isfinite(x) for x in values])


class Lifter(torch.nn.Module):
    """2D boxes + lidar points -> 3D boxes; see the module docstring for the method.

    Constructor arguments (defaults chosen for KITTI's HDL-64 and checked on frame 000008):
      size_priors, size_sigmas: [7, 3] (l, w, h) mean and spread per class id, row 0 for ids
        outside 1..6 (a generic 1 x 1 x 1.5 m object);
      min_depth: m in front of the camera below which points are ignored;
      frustum_shrink: fraction of the box width/height cut from each side;
      ground_clearance: m above the ground plane below which points are ground;
      ground_range: BEV range window (m) of the points used to fit the ground;
      cluster_cell: BEV cell (m) of the connected components; 8-neighbours join cells up to
        about two cells apart, more than lidar spacing on a surface at KITTI ranges;
      max_label_rounds: cap on the label propagation rounds of the components;
      min_cluster_points: fewer points are no lidar support;
      yaw_steps, face_bin: coarse yaw steps over [0, pi/2) (then 9 finer ones around the best),
        and the slab width (m) that counts points on a face;
      max_fit_points: points (evenly subsampled) used by the yaw search;
      range_prior_sigma: log-range spread of the camera-only range when choosing a cluster;
      max_range: camera-only ranges are clamped to [min_depth, max_range];
      max_coordinate: points with a coordinate beyond it (m) are not lidar returns;
      max_pairs: (box, point) candidates clustered in one pass; boxes beyond it go to the next
        pass, which bounds the memory a frame of many large boxes takes (~150 bytes a pair).
    """

    def __init__(
        self,
        size_priors: Optional[Tensor] = None,
        size_sigmas: Optional[Tensor] = None,
        min_depth: float = 0.5,
        frustum_shrink: float = 0.03,
        ground_clearance: float = 0.25,
        ground_range: Tuple[float, float] = (3.0, 40.0),
        cluster_cell: float = 0.3,
        max_label_rounds: int = 64,
        min_cluster_points: int = 3,
        yaw_steps: int = 30,
        face_bin: float = 0.1,
        max_fit_points: int = 400,
        range_prior_sigma: float = 0.6,
        max_range: float = 200.0,
        max_coordinate: float = 10000.0,
        max_pairs: int = 1 << 19,
    ):
        super().__init__()
        priors = torch.tensor(SIZE_PRIORS) if size_priors is None else size_priors.float()
        sigmas = torch.tensor(SIZE_SIGMAS) if size_sigmas is None else size_sigmas.float()
        if priors.shape != (7, 3) or sigmas.shape != (7, 3):
            raise ValueError("size_priors and size_sigmas must be [7, 3] (l, w, h per class id 0..6)")
        self.register_buffer("size_priors", priors)
        self.register_buffer("size_sigmas", sigmas)
        self.register_buffer("fit_yaw", torch.tensor(FIT_YAW))
        self.min_depth = float(min_depth)
        self.frustum_shrink = float(frustum_shrink)
        self.ground_clearance = float(ground_clearance)
        self.ground_min_range = float(ground_range[0])
        self.ground_max_range = float(ground_range[1])
        self.cluster_cell = float(cluster_cell)
        self.max_label_rounds = int(max_label_rounds)
        self.min_cluster_points = int(min_cluster_points)
        self.yaw_steps = int(yaw_steps)
        self.face_bin = float(face_bin)
        self.max_fit_points = int(max_fit_points)
        self.range_prior_sigma = float(range_prior_sigma)
        self.max_range = float(max_range)
        self.max_coordinate = float(max_coordinate)
        self.max_pairs = int(max_pairs)

    def forward(
        self, boxes_2d: Tensor, classes: Tensor, points: Tensor, lidar_to_image: Tensor
    ) -> Tuple[Tensor, Tensor]:
        if boxes_2d.dim() != 2 or boxes_2d.shape[1] != 4:
            raise RuntimeError(f"lift: boxes_2d must be [M, 4], got {boxes_2d.shape}")
        if classes.dim() != 1 or classes.shape[0] != boxes_2d.shape[0]:
            raise RuntimeError(f"lift: classes must be [M] with M = {boxes_2d.shape[0]}, got {classes.shape}")
        if points.dim() != 2 or points.shape[1] < 3:
            raise RuntimeError(f"lift: points must be [N, 4] (x, y, z, intensity), got {points.shape}")
        if lidar_to_image.dim() != 2 or lidar_to_image.shape[0] != 3 or lidar_to_image.shape[1] != 4:
            raise RuntimeError(f"lift: lidar_to_image must be [3, 4], got {lidar_to_image.shape}")

        device = boxes_2d.device
        m = boxes_2d.shape[0]
        zeros = (
            torch.zeros((m, 7), dtype=torch.float32, device=device),
            torch.zeros((m,), dtype=torch.int64, device=device),
        )
        if m == 0:
            return zeros

        # 1. Camera: centre, rays, and which sign of the projective depth is "in front".
        proj = lidar_to_image.to(device=device, dtype=torch.float64)
        inv3, det = _inverse3(proj[:, :3])
        scale = proj[:, :3].norm()
        if not bool(torch.isfinite(proj).all()) or not bool(det.abs() > 1e-9 * scale * scale * scale):
            return zeros
        front_sign = torch.sign(det)
        centre = -(inv3 @ proj[:, 3])  # camera centre in the lidar frame
        depth_norm = proj[2, :3].norm()  # w / |m3| is the metric depth for P = K [R | t]

        boxes = boxes_2d.to(torch.float64)
        cls = classes.to(device=device, dtype=torch.int64)
        cls = torch.where((cls >= 1) & (cls <= 6), cls, torch.zeros_like(cls))
        prior = self.size_priors.to(device)[cls].to(torch.float64)  # [M, 3] l, w, h
        sigma = self.size_sigmas.to(device)[cls].to(torch.float64)
        box_ok = torch.isfinite(boxes).all(1)
        box_ok = box_ok & (boxes[:, 2] - boxes[:, 0] >= 1.0) & (boxes[:, 3] - boxes[:, 1] >= 1.0)
        boxes = torch.where(box_ok[:, None], boxes, torch.zeros_like(boxes))
        if not bool(box_ok.any()):
            return zeros
        camera_boxes, face_range = self._camera_only(boxes, prior, proj, inv3, centre, front_sign)

        # 2. Points in front of the camera, 3. ground, and the candidates above it.
        # Elementwise rather than a matmul: with 3 columns it is several times faster. NaN
        # rows fail the depth test by themselves; rows with an infinity, or so far out that
        # they are no lidar return (and would overflow grid indices), are dropped after.
        pts = points.to(device=device, dtype=torch.float32)
        m32: List[float] = proj.to(torch.float32).reshape(-1).tolist()
        w = pts[:, 0] * m32[8] + pts[:, 1] * m32[9] + pts[:, 2] * m32[10] + m32[11]
        front = torch.nonzero(w * float(front_sign) > self.min_depth * float(depth_norm)).squeeze(1)
        xyz = pts.index_select(0, front)[:, :3]  # index_select: much faster than xyz[index]
        finite = torch.nonzero(xyz.abs().amax(1) < self.max_coordinate).squeeze(1)
        xyz = xyz.index_select(0, finite)
        w = w.index_select(0, front).index_select(0, finite)
        u = (xyz[:, 0] * m32[0] + xyz[:, 1] * m32[1] + xyz[:, 2] * m32[2] + m32[3]) / w
        v = (xyz[:, 0] * m32[4] + xyz[:, 1] * m32[5] + xyz[:, 2] * m32[6] + m32[7]) / w
        plane, has_ground = self._fit_ground(xyz)
        # Only points that can fall in some box matter from here on.
        region = boxes[box_ok]
        keep = (u >= float(region[:, 0].min())) & (u <= float(region[:, 2].max()))
        keep = keep & (v >= float(region[:, 1].min())) & (v <= float(region[:, 3].max()))
        if has_ground:
            above = xyz[:, 2] - (plane[0] * xyz[:, 0] + plane[1] * xyz[:, 1] + plane[2]).to(torch.float32)
            max_height = float((prior[:, 2] + 4.0 * sigma[:, 2]).max()) + 0.5
            keep = keep & (above > self.ground_clearance) & (above < max_height)
        else:
            above = torch.zeros_like(u)  # unknown: no point is taken for ground
        keep = torch.nonzero(keep).squeeze(1)
        # Sorted by u, each box's columns are one slice found by binary search.
        u, by_u = _ascending(u.index_select(0, keep))
        keep = keep.index_select(0, by_u)
        v = v.index_select(0, keep)
        xyz = xyz.index_select(0, keep)
        above = above.index_select(0, keep)

        # 4. Every box's object cluster and box axes at once (a few hundred tensor ops whatever
        # the box count), then each box's extents and placement in Python floats.
        index, support_list = self._choose_clusters(
            boxes, box_ok, prior, sigma, face_range, xyz, u, v, above, has_ground
        )
        fit_yaw = self.fit_yaw.to(device)[cls]
        yaw_list: List[bool] = fit_yaw.tolist()
        theta, object_along = self._object_axes(
            xyz.index_select(0, index).to(torch.float64), above.index_select(0, index), support_list,
            fit_yaw, prior, has_ground,
        )
        ok_list: List[bool] = box_ok.tolist()
        prior_list: List[List[float]] = prior.tolist()
        sigma_list: List[List[float]] = sigma.tolist()
        camera_list: List[List[float]] = camera_boxes.tolist()
        plane_list: List[float] = plane.tolist()
        rows: List[List[float]] = []
        counts: List[int] = []
        for j in range(m):
            row = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            support = support_list[j]
            if support > 0:
                fitted = self._fit_box(
                    prior_list[j], sigma_list[j], yaw_list[j], theta[j], object_along[j], has_ground, plane_list
                )
                if _all_finite(fitted):
                    row = fitted
                else:
                    support = 0
            if ok_list[j] and support == 0 and _all_finite(camera_list[j]):
                row = camera_list[j]
            rows.append(row)
            counts.append(support)
        return (
            torch.tensor(rows, dtype=torch.float64, device=device).to(torch.float32),
            torch.tensor(counts, dtype=torch.int64, device=device),
        )

    def _camera_only(
        self, boxes: Tensor, prior: Tensor, proj: Tensor, inv3: Tensor, centre: Tensor, front_sign: Tensor
    ) -> Tuple[Tensor, Tensor]:
        """Boxes from the image alone: [M, 7] and the BEV range of the visible face [M].

        The range is where a vertical segment of the class height projects to the box's pixel
        height (pinhole scaling from a trial range, refined once, so tilted cameras work)."""
        m = boxes.shape[0]
        uc = 0.5 * (boxes[:, 0] + boxes[:, 2])
        vc = 0.5 * (boxes[:, 1] + boxes[:, 3])
        pixel_height = (boxes[:, 3] - boxes[:, 1]).clamp_min(1.0)
        pix = torch.stack([uc, vc, torch.ones_like(uc)], dim=1)
        ray = front_sign * (pix @ inv3.t())
        ray = ray / ray.norm(p=2, dim=1, keepdim=True).clamp_min(1e-12)
        half = torch.zeros((m, 3), dtype=torch.float64, device=boxes.device)
        half[:, 2] = 0.5 * prior[:, 2]
        rng = torch.full_like(uc, 10.0)
        for _ in range(2):
            at = centre + rng[:, None] * ray
            top = torch.cat([at + half, torch.ones_like(uc)[:, None]], dim=1) @ proj.t()
            bottom = torch.cat([at - half, torch.ones_like(uc)[:, None]], dim=1) @ proj.t()
            top_px = top[:, :2] / top[:, 2:3]
            bottom_px = bottom[:, :2] / bottom[:, 2:3]
            span = (top_px - bottom_px).norm(p=2, dim=1)
            rng = (rng * span / pixel_height).nan_to_num(10.0, 10.0, 10.0)
            rng = rng.clamp(self.min_depth, self.max_range)
        face = centre + rng[:, None] * ray
        box_centre = face + 0.5 * prior[:, 0:1] * ray
        yaw = torch.atan2(ray[:, 1], ray[:, 0])
        out = torch.cat([box_centre, prior, yaw[:, None]], dim=1)
        return out, face[:, :2].norm(p=2, dim=1)

    def _fit_ground(self, xyz: Tensor) -> Tuple[Tensor, bool]:
        """Plane z = a x + b y + c under the points, and whether there was enough ground."""
        plane = torch.zeros(3, dtype=torch.float64, device=xyz.device)
        pts = xyz[:: max(1, xyz.shape[0] // 10000)]  # a plane needs no more; keeps it cheap
        rng = torch.hypot(pts[:, 0], pts[:, 1])
        near = torch.nonzero((rng >= self.ground_min_range) & (rng <= self.ground_max_range)).squeeze(1)
        pts = pts.index_select(0, near).to(torch.float64)
        if pts.shape[0] < 50:
            return plane, False
        # Seed: median over 2 m cells of each cell's lowest point. Most cells are road or
        # pavement; a car's or wall's cell still bottoms out near the ground.
        cell_size = 2.0
        ix = torch.floor(pts[:, 0] / cell_size).long()
        iy = torch.floor(pts[:, 1] / cell_size).long()
        ix = ix - ix.min()
        iy = iy - iy.min()
        cell = ix * (int(iy.max()) + 1) + iy
        ncell = int(cell.max()) + 1
        lowest = torch.full((ncell,), float("inf"), dtype=torch.float64, device=xyz.device)
        lowest = lowest.scatter_reduce(0, cell, pts[:, 2], "amin", include_self=True)
        count = torch.bincount(cell, minlength=ncell)
        seeds = lowest[count >= 3]  # a lone point may be a multipath echo below the road
        if seeds.shape[0] < 5:
            return plane, False
        plane[2] = seeds.median()
        design = torch.stack([pts[:, 0], pts[:, 1], torch.ones_like(pts[:, 0])], dim=1)
        for band in [0.5, 0.25, 0.12]:
            residual = pts[:, 2] - design @ plane
            inliers = (residual.abs() < band).to(torch.float64)
            if float(inliers.sum()) < 30:
                break
            weighted = design * inliers[:, None]  # least squares over the inliers only
            normal_inv, det = _inverse3(weighted.t() @ design)
            if not bool(det.abs() > 1e-9):
                break
            fitted = normal_inv @ (weighted.t() @ pts[:, 2])
            if bool(torch.hypot(fitted[0], fitted[1]) > 0.2):  # > ~11 degrees: not a road
                break
            plane = fitted
        return plane, True

    def _bev_components(self, xy: Tensor, group: Tensor, groups: int) -> Tuple[Tensor, Tensor]:
        """Connected components of the occupied BEV cells (`cluster_cell` m, 8-neighbours),
        within each group of points (a box's frustum) separately.

        Works on the occupied cells only (a frustum can reach 80 m, its grid would be large):
        each group has its own grid from its own lowest x and y, laid after the previous
        group's in one key space with a free margin around it, so no neighbour crosses from
        one group to another. Neighbours are found by binary search in the sorted cell keys.
        Labels start as the cells' own indices and shrink until each component carries its
        smallest: per round, every root label takes the smallest label next to any of its
        cells (hooking) and cells follow their labels to the root (pointer jumping), for at
        most `max_label_rounds` rounds (a handful for objects; a longer wall may stay split,
        which does no harm; a group that has settled stays as it is while others go on).
        Returns each point's component id (0..k-1; a group's components follow the previous
        group's) and each component's group."""
        ij: List[Tensor] = []
        extent: List[Tensor] = []
        for axis in range(2):  # 1-D scatters: several times faster than one over [n, 2]
            lowest = torch.full((groups,), float("inf"), dtype=xy.dtype, device=xy.device)
            lowest = lowest.scatter_reduce(0, group, xy[:, axis], "amin", include_self=True)
            cell = torch.floor((xy[:, axis] - lowest.index_select(0, group)) / self.cluster_cell).long() + 1
            ij.append(cell)  # + 1: a margin for the neighbours at -1
            top = torch.zeros((groups,), dtype=torch.int64, device=xy.device)
            extent.append(top.scatter_reduce(0, group, cell, "amax", include_self=True))
        ny = extent[1] + 2
        span = (extent[0] + 2) * ny  # holds every cell and neighbour key of the group
        base = torch.cumsum(span, 0) - span
        key = base.index_select(0, group) + ij[0] * ny.index_select(0, group) + ij[1]
        cells, point_cell = _dense_ids(key)
        cell_group = torch.empty_like(cells)
        cell_group[point_cell] = group
        # The 8 neighbours and the cell itself: in each of the rows x-1, x, x+1 the keys
        # middle-1 .. middle+1 are consecutive in the sorted keys when present, so one binary
        # search per row finds all three.
        c = cells.shape[0]
        steps = torch.tensor([-1, 0, 1], device=xy.device)
        middle = cells[:, None] + steps[None, :] * ny.index_select(0, cell_group)[:, None]  # [c, 3]
        at = torch.searchsorted(cells, middle - 1)[:, :, None] + (steps + 1)[None, None, :]
        at = at.reshape(c, 9).clamp_max(c - 1)
        near = (torch.take(cells, at) - middle.repeat_interleave(3, dim=1)).abs() <= 1
        own = torch.arange(c, device=xy.device)
        neighbour = torch.where(near, at, own[:, None])
        label = own
        for _ in range(self.max_label_rounds):  # take/index_select: advanced indexing is slower
            smaller = torch.take(label, neighbour).min(1)[0]
            # Hooking: each label (a root) takes the smallest label next to any of its cells,
            # then the cells follow their root's new label to its root (pointer jumping).
            hooked = label.scatter_reduce(0, label, smaller, "amin", include_self=True)
            smaller = hooked.index_select(0, label)
            for _jump in range(8):
                jumped = smaller.index_select(0, smaller)
                if bool(torch.equal(jumped, smaller)):
                    break
                smaller = jumped
            if bool(torch.equal(smaller, label)):
                break
            label = smaller
        roots, cell_component = _dense_ids(label)
        return cell_component.index_select(0, point_cell), cell_group.index_select(0, roots)

    def _choose_clusters(
        self, boxes: Tensor, box_ok: Tensor, prior: Tensor, sigma: Tensor, face_range: Tensor,
        xyz: Tensor, u: Tensor, v: Tensor, above: Tensor, has_ground: bool,
    ) -> Tuple[Tensor, List[int]]:
        """Every box's object cluster: the indices into the (u-sorted) points of each box's
        cluster, box after box, and each box's count (0: no lidar support).

        A box's frustum is one slice of the points (they are sorted by u): its columns.
        Consecutive boxes whose slices hold at most `max_pairs` points in all are handled in
        one pass (`_clusters_among`)."""
        m = boxes.shape[0]
        sx = self.frustum_shrink * (boxes[:, 2] - boxes[:, 0])
        first = torch.searchsorted(u, (boxes[:, 0] + sx).to(torch.float32))  # rounded as the
        last = torch.searchsorted(u, (boxes[:, 2] - sx).to(torch.float32), right=True)  # points
        length = torch.where(box_ok, (last - first).clamp_min(0), torch.zeros_like(first))
        lengths: List[int] = length.tolist()
        index: List[Tensor] = []
        support: List[int] = []
        start = 0
        while start < m:
            end = start + 1
            pairs = lengths[start]
            while end < m and pairs + lengths[end] <= self.max_pairs:
                pairs += lengths[end]
                end += 1
            chosen, counts = self._clusters_among(
                boxes[start:end], prior[start:end], sigma[start:end], face_range[start:end],
                first[start:end], length[start:end], xyz, u, v, above, has_ground,
            )
            index.append(chosen)
            support.extend(counts)
            start = end
        return torch.cat(index), support

    def _clusters_among(
        self, boxes: Tensor, prior: Tensor, sigma: Tensor, face_range: Tensor, first: Tensor,
        length: Tensor, xyz: Tensor, u: Tensor, v: Tensor, above: Tensor, has_ground: bool,
    ) -> Tuple[Tensor, List[int]]:
        """`_choose_clusters` for some boxes, whose frusta start at `first` in the points and
        hold `length` columns' points: they are laid end to end as (box, point) pairs (a point
        seen by two boxes is a candidate of both), cut by v and height, and clustered at once.
        Thresholds are rounded to float32 as a comparison of the float32 coordinates with a
        Python float would."""
        device = xyz.device
        m = boxes.shape[0]
        x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
        bw = x2 - x1
        bh = y2 - y1
        sy = self.frustum_shrink * bh
        pair_box = torch.repeat_interleave(torch.arange(m, device=device), length)
        start = torch.cumsum(length, 0) - length
        point = torch.arange(pair_box.shape[0], device=device) + (first - start).index_select(0, pair_box)
        pair_v = v.index_select(0, point)
        inside = (pair_v >= (y1 + sy).to(torch.float32).index_select(0, pair_box))
        inside = inside & (pair_v <= (y2 - sy).to(torch.float32).index_select(0, pair_box))
        if has_ground:  # branches over a car are not the car
            cap = (prior[:, 2] + 4.0 * sigma[:, 2] + 0.5).to(torch.float32)
            inside = inside & (above.index_select(0, point) < cap.index_select(0, pair_box))
        kept = torch.nonzero(inside).squeeze(1)
        pair_box = pair_box.index_select(0, kept)
        point = point.index_select(0, kept)
        if point.shape[0] == 0:
            return torch.zeros(0, dtype=torch.int64, device=device), [0] * m
        pts = xyz.index_select(0, point).to(torch.float64)
        pu = u.index_select(0, point).to(torch.float64)
        pv = v.index_select(0, point).to(torch.float64)

        # Objects: connected components of the points' BEV occupancy (a range split alone
        # merges an occluder with the object behind it when their ranges touch).
        label, component_box = self._bev_components(pts[:, :2], pair_box, m)
        k = component_box.shape[0]
        count = torch.bincount(label, minlength=k)
        rng = torch.hypot(pts[:, 0], pts[:, 1])
        mean_range = torch.zeros(k, dtype=torch.float64, device=device).index_add_(0, label, rng) / count

        # Coverage of a centre-weighted grid over the box: which surface fills the box.
        # Spinning lidars sample much finer across (0.1-0.2 deg) than up (0.4-2 deg), so
        # the grid has narrow columns (~4 px) and tall rows (~25 px) that a surface fills.
        gx = (bw / 4.0).clamp(2.0, 24.0).floor()
        gy = (bh / 25.0).clamp(1.0, 8.0).floor()
        grid_x = gx.long().index_select(0, pair_box)
        grid_y = gy.long().index_select(0, pair_box)
        ci = ((pu - x1.index_select(0, pair_box)) * (gx / bw).index_select(0, pair_box)).floor().long()
        cj = ((pv - y1.index_select(0, pair_box)) * (gy / bh).index_select(0, pair_box)).floor().long()
        ci = torch.minimum(ci.clamp_min(0), grid_x - 1)
        cj = torch.minimum(cj.clamp_min(0), grid_y - 1)
        cells_per_box = 24 * 8  # the largest grid
        occupied = _dense_ids(label * cells_per_box + ci * grid_y + cj)[0]
        component = torch.div(occupied, cells_per_box, rounding_mode="floor")
        cell = occupied - component * cells_per_box
        owner = component_box.index_select(0, component)
        rows_y = gy.long().index_select(0, owner)
        column = torch.div(cell, rows_y, rounding_mode="floor")
        cu = (column.to(torch.float64) + 0.5) * (2.0 / gx).index_select(0, owner) - 1.0
        cv = ((cell % rows_y).to(torch.float64) + 0.5) * (2.0 / gy).index_select(0, owner) - 1.0
        coverage = torch.zeros(k, dtype=torch.float64, device=device)
        coverage = coverage.index_add_(0, component, (1.0 - cu * cu) * (1.0 - cv * cv))
        expected = face_range.clamp_min(1e-3).index_select(0, component_box)
        log_ratio = torch.log(mean_range.clamp_min(1e-3) / expected)
        agreement = torch.exp(-0.5 * (log_ratio / self.range_prior_sigma) ** 2)
        score = coverage * agreement * (count >= self.min_cluster_points).to(torch.float64)

        # The best component of each box (the first of equals), if it scores at all.
        best_score = torch.zeros(m, dtype=torch.float64, device=device)
        best_score = best_score.scatter_reduce(0, component_box, score, "amax", include_self=True)
        ids = torch.arange(k, device=device)
        is_best = score == best_score.index_select(0, component_box)
        candidate = torch.where(is_best, ids, torch.full_like(ids, k))
        best = torch.full((m,), k, dtype=torch.int64, device=device)
        best = best.scatter_reduce(0, component_box, candidate, "amin", include_self=True)
        best = torch.where(best_score > 0, best, torch.full_like(best, -1))
        chosen = torch.nonzero(label == best.index_select(0, pair_box)).squeeze(1)
        support: List[int] = torch.bincount(pair_box.index_select(0, chosen), minlength=m).tolist()
        return point.index_select(0, chosen), support

    def _object_axes(
        self, xyz: Tensor, above: Tensor, support: List[int], fit_yaw: Tensor, prior: Tensor, has_ground: bool
    ) -> Tuple[List[float], List[Tensor]]:
        """Each object's box axes: their yaw `theta` and its points' coordinates along them
        and height ([n, 3] float64), from its points `xyz` at heights `above` over the
        ground (objects one after the other, `support` points each).

        The axes are the outline's (`_object_angles`) for classes that have a telling one,
        given 5 points; for the others, the ray to the points' mean."""
        device = xyz.device
        m = len(support)
        counts = torch.tensor(support, dtype=torch.int64, device=device)
        owner = torch.repeat_interleave(torch.arange(m, device=device), counts)
        theta = self._object_angles(xyz, above, owner, counts, fit_yaw, prior, has_ground)
        fit: List[bool] = fit_yaw.tolist()
        object_xyz = torch.split(xyz, support)
        for j in range(m):
            if support[j] > 0 and not (fit[j] and support[j] >= 5):
                xy = object_xyz[j][:, :2]
                theta[j] = math.atan2(float(xy[:, 1].mean()), float(xy[:, 0].mean()))
        cos_t = _float64([math.cos(t) for t in theta], device).index_select(0, owner)
        sin_t = _float64([math.sin(t) for t in theta], device).index_select(0, owner)
        x, y = xyz[:, 0], xyz[:, 1]
        along = torch.stack([cos_t * x + sin_t * y, cos_t * y - sin_t * x, xyz[:, 2]], dim=1)
        return theta, torch.split(along, support)

    def _object_angles(
        self, xyz: Tensor, above: Tensor, owner: Tensor, counts: Tensor, fit_yaw: Tensor, prior: Tensor,
        has_ground: bool,
    ) -> List[float]:
        """The yaw in [0, pi/2) of the outline's axes of every object with at least 5 points
        and a class whose outline tells it (meaningless for the others); `owner` is each
        point's object, `counts` each object's points. The body below the windows is
        box-shaped (glass, bonnet and roof slope inwards), so the points below 60 % of the
        class height are used when there are at least 5 of them; at most about
        `max_fit_points`, evenly subsampled."""
        m = counts.shape[0]
        body = (fit_yaw & (counts >= 5)).index_select(0, owner)
        if not bool(body.any()):
            return [0.0] * m
        if has_ground:
            low = above < (0.6 * prior[:, 2]).to(torch.float32).index_select(0, owner)
            enough = torch.bincount(owner[low], minlength=m) >= 5
            body = body & (low | ~enough.index_select(0, owner))
        body = torch.nonzero(body).squeeze(1)
        body_owner = owner.index_select(0, body)
        size = torch.bincount(body_owner, minlength=m)
        stride = torch.div(size, self.max_fit_points, rounding_mode="floor").clamp_min(1)
        start = torch.cumsum(size, 0) - size
        rank = torch.arange(body.shape[0], device=xyz.device) - start.index_select(0, body_owner)
        sampled = body[rank % stride.index_select(0, body_owner) == 0]
        return self._face_angles(xyz.index_select(0, sampled)[:, :2], owner.index_select(0, sampled), m)

    def _face_angles(self, xy: Tensor, owner: Tensor, m: int) -> List[float]:
        """For each of `m` objects, the angle in [0, pi/2) of its box axes whose faces hold
        the most of its points (`xy` [n, 2], `owner` [n] the object of each point; the angle
        of an object without points means nothing).

        A vehicle's sides are vertical planes: seen from above, every lidar ring on a face
        falls on one line. For each trial angle the points are projected on both axes and
        histogrammed (`face_bin` m, windows of two bins); the two highest windows count the
        points on the two strongest faces. This ignores curved bumpers and stray points,
        which bend edge-distance criteria (L-shape closeness, min-area) off the true axes.
        Coarse steps over [0, pi/2), then 9 finer ones around each object's best."""
        step = 0.5 * math.pi / self.yaw_steps
        coarse = torch.arange(self.yaw_steps, dtype=torch.float64, device=xy.device) * step
        coarse = coarse[None, :].expand(m, -1)
        best = coarse.gather(1, torch.argmax(self._points_on_faces(xy, owner, coarse), 1, keepdim=True))
        fine = best + torch.linspace(-step, step, 9, dtype=torch.float64, device=xy.device)[None, :]
        best = fine.gather(1, torch.argmax(self._points_on_faces(xy, owner, fine), 1, keepdim=True))
        angles: List[float] = best.squeeze(1).tolist()
        return [angle % (0.5 * math.pi) for angle in angles]

    def _points_on_faces(self, xy: Tensor, owner: Tensor, angles: Tensor) -> Tensor:
        """For each object and each of its angles ([m, a]), the points in the densest
        `face_bin`-wide slab along each axis."""
        m, a = angles.shape[0], angles.shape[1]
        device = xy.device
        c = torch.cos(angles).index_select(0, owner)  # [n, a]
        s = torch.sin(angles).index_select(0, owner)
        x = xy[:, 0:1]
        y = xy[:, 1:2]
        row = (owner[:, None] * a + torch.arange(a, device=device)[None, :]).reshape(-1)  # (object, angle)
        on_faces = torch.zeros(m * a, dtype=torch.float64, device=device)
        for coord in [c * x + s * y, -s * x + c * y]:  # [n, a]
            coord = coord.reshape(-1)
            lowest = torch.full((m * a,), float("inf"), dtype=torch.float64, device=device)
            lowest = lowest.scatter_reduce(0, row, coord, "amin", include_self=True)
            bins = torch.floor((coord - lowest.index_select(0, row)) / self.face_bin).long()
            on_faces = on_faces + _densest_windows(bins, row, m * a)
        return on_faces.reshape(m, a)

    def _fit_box(
        self, prior: List[float], sigma: List[float], fit_yaw: bool, theta: float, along: Tensor,
        has_ground: bool, plane: List[float],
    ) -> List[float]:
        """[x, y, z, l, w, h, yaw] of an object from its points' coordinates along its box
        axes at `theta`, and height (`along`, [n, 3] float64, n > 0)."""
        cos_t, sin_t = math.cos(theta), math.sin(theta)
        ends = _ends(along)  # of the two axes and the height at once
        lo, hi = ends[0], ends[1]
        visible = [hi[0] - lo[0], hi[1] - lo[1]]

        # Which axis is the length: extents that fit the prior best; ties to the ego heading.
        length_first = True
        if fit_yaw:
            over_a = max(visible[0] - prior[0], 0.0) ** 2 + max(visible[1] - prior[1], 0.0) ** 2
            over_b = max(visible[0] - prior[1], 0.0) ** 2 + max(visible[1] - prior[0], 0.0) ** 2
            length_first = over_a + 0.1 * sin_t ** 2 <= over_b + 0.1 * cos_t ** 2
        axis_prior = [prior[0], prior[1]] if length_first else [prior[1], prior[0]]
        axis_sigma = [sigma[0], sigma[1]] if length_first else [sigma[1], sigma[0]]
        size = [_posterior_size(visible[a], axis_prior[a], axis_sigma[a]) for a in range(2)]

        # Along each axis the sensor (at 0) sees the end facing it. Where points spread across
        # that end, it is a real face and the box grows from it away from the sensor. Where
        # they do not (the image border, the lidar's field of view or an occluder cut the
        # object there), or the sensor faces the side, the missing size is split evenly.
        mid = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])]
        for a in range(2):
            if lo[a] >= 0.0 or hi[a] <= 0.0:
                near_lo = lo[a] >= 0.0
                at_end = along[:, a] < lo[a] + 0.3 if near_lo else along[:, a] > hi[a] - 0.3
                across = along[:, 1 - a][at_end]
                if across.shape[0] >= 3:
                    spread = _ends(across)
                    if spread[1][0] - spread[0][0] >= min(0.5, 0.4 * size[1 - a]):
                        mid[a] = lo[a] + 0.5 * size[a] if near_lo else hi[a] - 0.5 * size[a]
        cx = cos_t * mid[0] - sin_t * mid[1]
        cy = sin_t * mid[0] + cos_t * mid[1]

        # Stand on the ground plane; but an object whose top is out of the class's reach from
        # the plane (a road rising far ahead, a bridge) keeps its own top and bottom points.
        bottom, top = lo[2], hi[2]
        ground = plane[0] * cx + plane[1] * cy + plane[2]
        if has_ground and top - ground <= prior[2] + 4.0 * sigma[2]:
            height = _posterior_size(top - ground, prior[2], sigma[2])
            cz = ground + 0.5 * height
        else:
            height = _posterior_size(top - bottom, prior[2], sigma[2])
            cz = top - 0.5 * height

        yaw = theta if length_first else theta + 0.5 * math.pi
        # Heading away from the sensor: the outline cannot tell front from back.
        if math.cos(yaw - math.atan2(cy, cx)) < 0:
            yaw = yaw + math.pi
        yaw = math.atan2(math.sin(yaw), math.cos(yaw))
        length, width = (size[0], size[1]) if length_first else (size[1], size[0])
        return [cx, cy, cz, length, width, height, yaw]
