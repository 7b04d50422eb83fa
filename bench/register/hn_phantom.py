#!/usr/bin/python3
"""hn_phantom.py — an independent synthetic head-and-neck re-irradiation patient with a KNOWN
deformation, for benchmarking registration and dose mapping (issue #14). Not rert code and not
derived from `rert phantom`: a different anatomy model (implicit shapes: superellipse body,
tubes along 3-D curves, shells), a different deformation model (head flexion about C2, neck
weight loss, Gaussian displacement bumps, a rigid set-up change) and its own DICOM writer
(pydicom), so that rert is not tuned to its own generator.

Ground truth convention (the one rert, ITK, plastimatch and elastix use): the truth field u lives
on the FIXED (reference, course-2) side and pulls: the course-1 (moving) point of fixed point x is
y = x + u(x). The anatomy is defined once as a function A(y) in course-1 coordinates; course 1's
CT samples A(y) directly and course 2's CT samples A(x + u(x)), so u is exact by construction (no
numerical inversion).

Outputs (in OUT):
  case.json            rert case file, no registration (rert registers the CTs itself)
  case_truth.json      same, with the exact field imported (truth/u_true.mha)
  case_wrongdir.json   same, with the field in the wrong direction (course 2 -> course 1)
  case_wrongpair.json  same, with the field of another patient (other seed)
  course{1,2}/CT/*.dcm, RS_*.dcm, RD_*.dcm, RP_*.dcm
  truth/u_true.mha     pull-back field on a 2 mm grid over the fixed body (LPS mm)
  truth/body.mha, truth/dose5.mha   scoring masks on that grid (fixed BODY; planned dose > 5 %)
  truth/fixed.mha, truth/moving.mha the two CTs (HU, int16) for the peer tools
  truth/u_wrongdir.mha, truth/u_wrongpair.mha
  truth/landmarks.csv  fixed/moving landmark pairs (also POINT ROIs in both structure sets)
  truth/summary.json   deformation statistics

Usage: hn_phantom.py --out DIR [--size clinical|small] [--seed N] [--deform-scale S]
         [--rigid-scale S] [--texture-hu H] [--noise-hu H] [--penumbra-scale S]
Needs: numpy, scipy, scikit-image, pydicom (Debian python3-* packages).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from scipy.special import erfc
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian
from skimage import measure

CT_SOP = "1.2.840.10008.5.1.4.1.1.2"
RS_SOP = "1.2.840.10008.5.1.4.1.1.481.3"
RD_SOP = "1.2.840.10008.5.1.4.1.1.481.2"
RP_SOP = "1.2.840.10008.5.1.4.1.1.481.5"


# ----------------------------------------------------------------------------- implicit shapes
# Every shape gives an approximate signed distance in mm (negative inside) for points P (N, 3)
# in course-1 (template) coordinates, and a bounding box for quick rejection.

def smoothstep(t):
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


class Shape:
    lo = np.array([-1e9] * 3)
    hi = np.array([1e9] * 3)

    def sd(self, P):
        raise NotImplementedError

    def sd_boxed(self, P, far=50.0):
        """sd with points far outside the bounding box reported as +far (cheap)."""
        out = np.full(len(P), far, dtype=np.float64)
        inb = np.all((P >= self.lo - far) & (P <= self.hi + far), axis=1)
        if inb.any():
            out[inb] = self.sd(P[inb])
        return out


class Ellipsoid(Shape):
    def __init__(self, c, semi):
        self.c = np.asarray(c, float)
        self.s = np.asarray(semi, float)
        self.lo, self.hi = self.c - self.s, self.c + self.s

    def sd(self, P):
        q = (P - self.c) / self.s
        k0 = np.linalg.norm(q, axis=1)
        k1 = np.linalg.norm(q / self.s, axis=1)
        return np.where(k1 > 1e-9, k0 * (k0 - 1) / np.maximum(k1, 1e-9), -self.s.min())


class Tube(Shape):
    """Points within `radius` (mm, scalar or per node) of a polyline through `nodes`."""

    def __init__(self, nodes, radius, step=0.4):
        nodes = np.asarray(nodes, float)
        rad = np.broadcast_to(np.asarray(radius, float), (len(nodes),))
        pts, rr = [], []
        for a in range(len(nodes) - 1):
            L = np.linalg.norm(nodes[a + 1] - nodes[a])
            n = max(2, int(math.ceil(L / step)) + 1)
            t = np.linspace(0, 1, n)[:-1] if a < len(nodes) - 2 else np.linspace(0, 1, n)
            pts.append(nodes[a] + t[:, None] * (nodes[a + 1] - nodes[a]))
            rr.append(rad[a] + t * (rad[a + 1] - rad[a]))
        self.p = np.concatenate(pts)
        self.r = np.concatenate(rr)
        self.tree = cKDTree(self.p)
        self.lo = self.p.min(0) - self.r.max()
        self.hi = self.p.max(0) + self.r.max()

    def sd(self, P):
        d, i = self.tree.query(P, k=1, workers=2)
        return d - self.r[i]


class Union(Shape):
    def __init__(self, *shapes, k=0.0):
        self.shapes, self.k = shapes, k
        self.lo = np.min([s.lo for s in shapes], axis=0)
        self.hi = np.max([s.hi for s in shapes], axis=0)

    def sd(self, P):
        ds = [s.sd_boxed(P) for s in self.shapes]
        if self.k <= 0:
            return np.minimum.reduce(ds)
        d = ds[0]
        for e in ds[1:]:  # smooth minimum (polynomial), blends junctions over k mm
            h = np.clip(0.5 + 0.5 * (e - d) / self.k, 0, 1)
            d = e * (1 - h) + d * h - self.k * h * (1 - h)
        return d


class Subtract(Shape):
    def __init__(self, a, b):
        self.a, self.b = a, b
        self.lo, self.hi = a.lo, a.hi

    def sd(self, P):
        return np.maximum(self.a.sd(P), -self.b.sd_boxed(P))


class Shell(Shape):
    """The inner layer (depth 0..t mm) of a shape."""

    def __init__(self, a, t):
        self.a, self.t = a, t
        self.lo, self.hi = a.lo, a.hi

    def sd(self, P):
        d = self.a.sd(P)
        return np.abs(d + 0.5 * self.t) - 0.5 * self.t


class HalfSpace(Shape):
    """Intersect `a` with {n·P <= off}."""

    def __init__(self, a, n, off):
        self.a, self.n, self.off = a, np.asarray(n, float), off
        self.lo, self.hi = a.lo, a.hi

    def sd(self, P):
        return np.maximum(self.a.sd(P), P @ self.n - self.off)


class Body(Shape):
    """Neck/shoulders superellipse profile (z below the head) smoothly joined to the head, chin
    and nose ellipsoids."""

    def __init__(self):
        self.head = Union(Ellipsoid((0, 8, 95), (76, 98, 82)), Ellipsoid((0, -52, 12), (42, 34, 30)),
                          Ellipsoid((0, -96, 78), (11, 16, 22)), k=10.0)
        self.lo = np.array([-180.0, -115.0, -400.0])
        self.hi = np.array([180.0, 110.0, 178.0])

    def profile(self, z):
        s = smoothstep((-75 - z) / 50.0)
        a = 56 + 120 * s
        b = 60 + 44 * s
        yc = 12 + 6 * s
        p = 2.2 + 1.2 * s
        return a, b, yc, p

    def sd(self, P):
        x, y, z = P[:, 0], P[:, 1], P[:, 2]
        a, b, yc, p = self.profile(z)
        k = (np.abs(x / a) ** p + np.abs((y - yc) / b) ** p) ** (1.0 / p)
        dn = (k - 1) * np.minimum(a, b)
        dn = np.maximum(dn, z - 45.0)  # the neck column ends inside the head
        dh = self.head.sd(P)
        kk = 12.0
        h = np.clip(0.5 + 0.5 * (dh - dn) / kk, 0, 1)
        return dh * (1 - h) + dn * h - kk * h * (1 - h)


# ----------------------------------------------------------------------------- the anatomy

def y_canal(z):
    """Spinal canal centre (y, mm) along z: cervical lordosis."""
    return 30.0 - 6.0 * np.exp(-((z + 40.0) / 60.0) ** 2)


class Canal(Shape):
    """Elliptic tube along the curved spinal axis x = 0, y = y_canal(z)."""

    def __init__(self, rx, ry, z0, z1, dy=0.0):
        self.rx, self.ry, self.z0, self.z1, self.dy = rx, ry, z0, z1, dy
        self.lo = np.array([-rx, 10.0 + dy - ry, z0])
        self.hi = np.array([rx, 36.0 + dy + ry, z1])

    def sd(self, P):
        x, y, z = P[:, 0], P[:, 1] - y_canal(P[:, 2]) - self.dy, P[:, 2]
        k0 = np.sqrt((x / self.rx) ** 2 + (y / self.ry) ** 2)
        k1 = np.sqrt((x / self.rx ** 2) ** 2 + (y / self.ry ** 2) ** 2)
        d = np.where(k1 > 1e-9, k0 * (k0 - 1) / np.maximum(k1, 1e-9), -min(self.rx, self.ry))
        return np.maximum(d, np.maximum(self.z0 - z, z - self.z1))


class Vertebrae(Shape):
    """Vertebral bodies (discs every `pitch` mm) in front of the canal; returns sd of bone."""

    def __init__(self, z0, z1, pitch=18.0, disc=5.0):
        self.body = Canal(11.0, 9.0, z0, z1, dy=-21.0)
        self.arch = Subtract(Canal(14.0, 13.0, z0, z1, dy=2.0), Canal(8.5, 8.0, z0 - 5, z1 + 5))
        self.spine = Canal(3.5, 12.0, z0, z1, dy=22.0)
        self.pitch, self.disc = pitch, disc
        self.lo = np.array([-15.0, -20.0, z0])
        self.hi = np.array([15.0, 75.0, z1])

    def sd(self, P):
        d = np.minimum(np.minimum(self.body.sd(P), self.arch.sd(P)), self.spine.sd(P))
        # discs: gaps of `disc` mm every `pitch` mm
        ph = np.mod(P[:, 2] + 1000.0, self.pitch)
        gap = np.abs(ph - 0.5 * self.pitch) - 0.5 * (self.pitch - self.disc)  # > 0 inside bone slab
        return np.maximum(d, -gap)


def mandible_curve():
    t = np.linspace(-1.22, 1.22, 41)
    body = np.stack([45 * np.sin(t), -80 + 42 * (1 - np.cos(t)), -20 + 7 * (1 - np.cos(t))], 1)
    right = np.array([body[0], [-45, -36, -8], [-46, -25, 12], [-47, -17, 30]])
    left = np.array([body[-1], [45, -36, -8], [46, -25, 12], [47, -17, 30]])
    return body, right, left


def build_anatomy():
    """(structures, painters): structures[name] = Shape for contouring; painters = ordered list
    of (Shape, HU, edge width mm) painted onto the body (later wins)."""
    body = Body()
    S = {}
    S["External"] = body
    mb, mr, ml = mandible_curve()
    mand = Union(Tube(mb, 6.5), Tube(mr, 5.0), Tube(ml, 5.0))
    mand_marrow = Union(Tube(mb, 3.5), Tube(mr, 2.5), Tube(ml, 2.5))
    S["Bone_Mandible"] = mand
    S["SpinalCord"] = Canal(5.5, 4.5, -260.0, 22.0)
    S["Brainstem"] = Tube([(0, 30, 18), (0, 26, 40), (0, 20, 64)], [10.0, 11.5, 12.0])
    S["Parotid_L"] = Ellipsoid((47, 2, 18), (14, 20, 24))
    S["Parotid_R"] = Ellipsoid((-47, 2, 18), (14, 20, 24))
    S["Glnd_Submand_L"] = Ellipsoid((30, -40, -20), (11, 10, 9))
    S["Glnd_Submand_R"] = Ellipsoid((-30, -40, -20), (11, 10, 9))
    car = {}
    for side, sx in (("L", 1), ("R", -1)):
        car[side] = Tube([(sx * 24, 2, -140), (sx * 25, 4, -25), (sx * 27, 8, 10), (sx * 29, 12, 42)], 3.6)
        S["A_Carotid_" + side] = car[side]
    lar = Ellipsoid((0, -27, -40), (19, 15, 20))
    S["Larynx"] = lar
    S["Esophagus"] = Tube([(0, -5, -38), (0, -3, -120), (0, 2, -260)], 6.5)
    S["Glnd_Thyroid"] = Union(Ellipsoid((14, -17, -78), (7, 9, 18)), Ellipsoid((-14, -17, -78), (7, 9, 18)),
                              Ellipsoid((0, -27, -84), (12, 4, 5)))
    airway = Tube([(0, -16, 52), (0, -13, 15), (0, -10, -18), (0, -26, -42), (0, -22, -90), (0, -8, -260)],
                  [9.0, 10.5, 9.0, 7.0, 8.5, 8.5])
    brain = Ellipsoid((0, 12, 100), (64, 82, 66))
    skull = Subtract(Shell(Ellipsoid((0, 12, 100), (71, 89, 73)), 7.5), Tube([(0, 28, 10), (0, 26, 45)], 14.0))

    P = []  # painters: (shape, HU, edge mm)
    # subcutaneous fat is painted by the caller from the body distance
    for sx in (1, -1):  # fat compartments of the neck
        P.append((Ellipsoid((sx * 42, 16, -50), (15, 22, 45)), -90, 0.8))
        P.append((Ellipsoid((sx * 22, -6, 15), (7, 10, 16)), -80, 0.8))
    P.append((Ellipsoid((0, -58, -32), (20, 12, 15)), -95, 0.8))
    P.append((Ellipsoid((0, 58, -75), (48, 22, 125)), 55, 1.0))  # paraspinal muscles
    for sx in (1, -1):  # sternocleidomastoid, with a fat plane around it
        scm = [(sx * 54, 24, 30), (sx * 46, 0, -30), (sx * 14, -46, -118)]
        P.append((Tube(scm, 10.5), -85, 0.8))
        P.append((Tube(scm, 8.0), 52, 0.8))
    P.append((S["Parotid_L"], -20, 0.8))
    P.append((S["Parotid_R"], -20, 0.8))
    P.append((S["Glnd_Submand_L"], 38, 0.8))
    P.append((S["Glnd_Submand_R"], 38, 0.8))
    P.append((S["Glnd_Thyroid"], 85, 0.8))
    for side, sx in (("L", 1), ("R", -1)):  # carotid sheath: fat halo, jugular vein, artery
        jug = [(sx * 36, 10, -140), (sx * 39, 13, -25), (sx * 41, 16, 42)]
        P.append((Tube(jug, 9.0), -80, 0.7))
        P.append((Tube(car[side].p[::25], 6.0), -80, 0.7))
        P.append((Tube(jug, 6.0), 45, 0.7))
        P.append((car[side], 62, 0.6))
    for c in ((30, -12, -8), (-31, -10, -12), (36, 6, -46), (-35, 5, -50), (28, -4, -72), (-27, -6, -70)):
        P.append((Ellipsoid(c, (8.5, 7.5, 10)), -85, 0.7))  # nodes in fat
        P.append((Ellipsoid(c, (5.5, 4.5, 7)), 32, 0.7))
    P.append((lar, 35, 0.8))
    P.append((HalfSpace(Shell(lar, 2.5), (0, 1, 0), -24.0), 190, 0.6))  # thyroid cartilage
    P.append((Tube([(18, -30, -16), (8, -38, -17), (-8, -38, -17), (-18, -30, -16)], 2.5), 420, 0.6))  # hyoid
    P.append((S["Esophagus"], 35, 0.7))
    P.append((Tube([(0, -5, -40), (0, -3, -120), (0, 2, -260)], 2.0), -900, 0.6))
    P.append((airway, -995, 0.6))
    P.append((Ellipsoid((0, -52, 2), (22, 16, 6)), -990, 0.6))  # air in the oral cavity
    for sx in (1, -1):  # lung apices, clavicles, humeral heads
        P.append((Ellipsoid((sx * 62, 12, -235), (46, 55, 92)), -830, 1.0))
        P.append((Tube([(sx * 18, -46, -120), (sx * 70, -32, -114), (sx * 135, 0, -102)], 7.0), 760, 0.6))
        P.append((Ellipsoid((sx * 165, 22, -126), (24, 24, 26)), 650, 0.8))
    P.append((Ellipsoid((0, -62, -160), (18, 6, 28)), 420, 0.8))  # manubrium
    P.append((Vertebrae(-262.0, 16.0), 300, 0.6))
    P.append((Shell(Vertebrae(-262.0, 16.0), 1.5), 850, 0.5))
    P.append((Canal(8.5, 8.0, -262.0, 24.0), 12, 0.6))  # CSF
    P.append((S["SpinalCord"], 36, 0.6))
    P.append((brain, 34, 0.8))
    P.append((skull, 1150, 0.6))
    P.append((Canal(12.0, 10.0, 10.0, 40.0, dy=-2.0), 12, 0.6))
    P.append((S["Brainstem"], 40, 0.7))
    for sx in (1, -1):
        P.append((Ellipsoid((sx * 32, -62, 82), (12, 12, 12)), 12, 0.7))  # globes
        P.append((Ellipsoid((sx * 32, -72, 82), (4.5, 2.5, 4.5)), 85, 0.5))  # lenses
        P.append((Ellipsoid((sx * 26, -50, 52), (13, 14, 16)), -985, 0.7))  # maxillary sinuses
    P.append((Ellipsoid((0, -66, 56), (10, 22, 22)), -960, 0.7))  # nasal cavity
    P.append((mand, 1250, 0.6))
    P.append((mand_marrow, 380, 0.6))
    tb, _, _ = mandible_curve()
    P.append((Tube(tb[4:-4] + np.array([0, 3, 13]), 4.0), 1900, 0.5))  # teeth
    P.append((Tube(tb[4:-4] + np.array([0, 4, 21]), 4.0), 1900, 0.5))
    return S, P


def targets_course1():
    """Course-1 (prior) targets in course-1 coordinates."""
    gtv = Ellipsoid((6, -20, 4), (16, 14, 18))
    ptv = Ellipsoid((6, -20, 4), (24, 21, 26))
    low = Union(Ellipsoid((27, 2, -28), (23, 25, 58)), Ellipsoid((-27, 2, -28), (23, 25, 58)), ptv, k=6.0)
    return {"GTV_1": gtv, "PTV_1": ptv, "PTV_1_Low": low}


def targets_course2():
    """Course-2 (planned re-irradiation) targets in course-2 coordinates."""
    gtv = Ellipsoid((-31, -9, -14), (12, 11, 14))
    ptv = Ellipsoid((-31, -9, -14), (17, 16, 19))
    return {"GTV_2": gtv, "PTV_2": ptv}


# ----------------------------------------------------------------------------- deformation

class Deformation:
    """Pull-back u(x) on the fixed (course-2) side: moving point y = x + u(x).
    y = R (x + d(x) - c) + c + t with d the non-rigid part (head flexion about C2, neck weight
    loss, Gaussian bumps concentrated in the neck)."""

    def __init__(self, rng, scale=1.0, rigid_scale=1.0):
        self.scale = scale
        j = lambda a: a * (1 + 0.2 * (2 * rng.random() - 1))
        self.flex_deg = j(1.4) * scale
        self.shrink = j(0.065) * scale
        self.bumps = []
        base = [((-32, -6, -14), 22, (-5.5, 2.0, 1.5)), ((0, -22, -44), 24, (0.0, -1.5, 5.0)),
                ((0, -36, 4), 20, (0.5, 4.0, -1.5)), ((34, 4, -58), 27, (3.5, -2.5, -3.0)),
                ((-20, 18, -90), 30, (-2.0, 2.0, -2.5)), ((120, 5, -122), 45, (2.5, 0, -5.0)),
                ((-120, 5, -122), 45, (-2.0, 0, -4.0))]
        for c, s, a in base:
            c = np.array(c, float) + 3 * (2 * rng.random(3) - 1)
            a = np.array([j(v) for v in a]) * scale
            self.bumps.append((c, s * (1 + 0.1 * (2 * rng.random() - 1)), a))
        ang = np.radians(np.array([j(0.6), j(-0.4), j(0.8)]) * rigid_scale)
        self.R = rot_xyz(ang)
        self.t = np.array([j(1.2), j(-1.5), j(2.0)]) * rigid_scale
        self.c = np.array([0.0, 10.0, -40.0])

    def __call__(self, X):
        X = np.asarray(X, float)
        d = np.zeros_like(X)
        # head flexion about a left-right axis through C2: angle grows from 0 (z < -25) to full
        # (z > 35)
        piv = np.array([0.0, 30.0, 8.0])
        al = np.radians(self.flex_deg) * smoothstep((X[:, 2] + 25.0) / 60.0)
        yy, zz = X[:, 1] - piv[1], X[:, 2] - piv[2]
        d[:, 1] += np.cos(al) * yy - np.sin(al) * zz - yy
        d[:, 2] += np.sin(al) * yy + np.cos(al) * zz - zz
        # weight loss: the course-2 neck is thinner, so fixed points pull from further out
        g = np.exp(-((X[:, 2] + 35.0) / 48.0) ** 2)
        d[:, 0] += self.shrink * g * X[:, 0]
        d[:, 1] += self.shrink * g * (X[:, 1] - 8.0)
        for c, s, a in self.bumps:
            w = np.exp(-np.sum((X - c) ** 2, axis=1) / (2 * s * s))
            d += w[:, None] * a[None, :]
        V = X + d - self.c
        Y = V @ self.R.T + self.c + self.t
        return Y - X


def rot_xyz(a):
    cx, sx, cy, sy, cz, sz = math.cos(a[0]), math.sin(a[0]), math.cos(a[1]), math.sin(a[1]), math.cos(a[2]), math.sin(a[2])
    Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return Rz @ Ry @ Rx


# ----------------------------------------------------------------------------- doses

def phi(sd, sigma):
    """Dose profile across a target surface: 1 deep inside, 0.5 on the surface, error-function
    penumbra of width sigma (mm)."""
    return 0.5 * erfc(sd / (math.sqrt(2.0) * sigma))


PENUMBRA = 1.0  # --penumbra-scale: factor on every dose penumbra sigma (dose-gradient sensitivity)


def dose_course1(P, S, T1, body_sd):
    """Prior course: 70 Gy to PTV_1, 56 Gy elective bilateral neck, cord notch, bath."""
    hi = phi(T1["PTV_1"].sd_boxed(P), 3.8 * PENUMBRA)
    low = phi(T1["PTV_1_Low"].sd_boxed(P), 4.2 * PENUMBRA)
    d = np.maximum(70.0 * hi, 56.0 * low)
    z = P[:, 2]
    rc = np.sqrt(P[:, 0] ** 2 + (P[:, 1] - y_canal(z)) ** 2)
    d *= 1.0 - 0.45 * np.exp(-rc ** 2 / (2 * 9.0 ** 2)) * (1 - hi)
    dl = np.minimum(T1["PTV_1_Low"].sd_boxed(P, far=200.0), 200.0)
    d += 6.0 * np.exp(-np.maximum(dl, 0) / 22.0)
    return d * (body_sd < 0) * smoothstep(-body_sd / 2.0 + 0.5)


def dose_course2(X, T2, body_sd):
    """Re-irradiation: 60 Gy to PTV_2, steep fall-off, low bath."""
    s = T2["PTV_2"].sd_boxed(X, far=200.0)
    d = 60.0 * phi(s, 3.2 * PENUMBRA) + 5.0 * np.exp(-np.maximum(s, 0) / 16.0)
    return d * (body_sd < 0) * smoothstep(-body_sd / 2.0 + 0.5)


# ----------------------------------------------------------------------------- sampling

class Grid:
    def __init__(self, origin, spacing, dims):
        self.o = np.asarray(origin, float)
        self.s = np.asarray(spacing, float)
        self.n = np.asarray(dims, int)

    def axis(self, a):
        return self.o[a] + self.s[a] * np.arange(self.n[a])

    def slice_points(self, k):
        x, y = self.axis(0), self.axis(1)
        X, Y = np.meshgrid(x, y, indexing="xy")  # rows = y (j), cols = x (i)
        z = self.o[2] + self.s[2] * k
        return np.stack([X.ravel(), Y.ravel(), np.full(X.size, z)], 1)

    def points(self):
        z, y, x = np.meshgrid(self.axis(2), self.axis(1), self.axis(0), indexing="ij")
        return np.stack([x.ravel(), y.ravel(), z.ravel()], 1)


def paint_hu(P, S, painters, texture, body_sd=None):
    """CT numbers at template points P (N, 3)."""
    if body_sd is None:
        body_sd = S["External"].sd(P)
    inside = body_sd < 3.0
    hu = np.full(len(P), -1000.0)
    if not inside.any():
        return hu, body_sd
    Q = P[inside]
    bs = body_sd[inside]
    h = np.full(len(Q), 40.0)
    # subcutaneous fat: 6 mm in the neck and shoulders, 3 mm over the head
    ft = np.where(Q[:, 2] > 40, 3.0, 6.5)
    w = 1.0 / (1.0 + np.exp(-(bs + ft) / 0.8))
    h = h * (1 - w) + (-100.0) * w
    for shp, val, edge in painters:
        d = shp.sd_boxed(Q, far=20.0)
        m = d < 4 * edge
        if not m.any():
            continue
        s = 1.0 / (1.0 + np.exp(np.clip(d[m] / edge, -40, 40)))
        h[m] = h[m] * (1 - s) + val * s
    if texture is not None:
        soft = np.clip(1.0 - np.abs(h) / 250.0, 0, 1)
        h += soft * texture(Q)
    # body edge (skin/air)
    s = 1.0 / (1.0 + np.exp(np.clip(bs / 0.7, -40, 40)))
    h = -1000.0 * (1 - s) + h * s
    hu[inside] = h
    return hu, body_sd


class Texture:
    """Anatomical texture: smooth correlated noise defined in course-1 coordinates (moves with
    the tissue), trilinear on a 2 mm lattice."""

    def __init__(self, rng, amp_hu, lo=(-190, -120, -280), hi=(190, 120, 190), h=2.0):
        self.o = np.array(lo, float)
        self.h = h
        n = (np.array(hi) - np.array(lo)) / h + 1
        n = n.astype(int)
        a = rng.standard_normal(tuple(n[::-1])).astype(np.float32)
        a = ndimage.gaussian_filter(a, 0.9)
        a *= amp_hu / max(a.std(), 1e-6)
        self.a = a
        self.amp = amp_hu

    def __call__(self, P):
        if self.amp <= 0:
            return 0.0
        idx = ((P - self.o) / self.h)[:, ::-1].T
        return ndimage.map_coordinates(self.a, idx, order=1, mode="nearest")


# ----------------------------------------------------------------------------- DICOM writing

class Uids:
    def __init__(self, seed, tag):
        self.rng = np.random.default_rng(seed * 7919 + 17)
        self.tag = tag

    def new(self):
        return "2.25." + str(int.from_bytes(self.rng.bytes(15), "big"))


def base_ds(sop_class, sop_uid, pat, study, modality, series_uid, for_uid, date):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.1"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = date
    ds.StudyTime = "090000"
    ds.AccessionNumber = ""
    ds.Modality = modality
    ds.Manufacturer = "hn_phantom.py (rert bench)"
    ds.ReferringPhysicianName = ""
    ds.PatientName = pat["name"]
    ds.PatientID = pat["id"]
    ds.PatientBirthDate = pat["birth"]
    ds.PatientSex = pat["sex"]
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.FrameOfReferenceUID = for_uid
    ds.PositionReferenceIndicator = ""
    return ds


def write_ct(outdir, grid, vol_hu, pat, uids, course):
    os.makedirs(outdir, exist_ok=True)
    series = uids.new()
    sops = []
    for k in range(grid.n[2]):
        sop = uids.new()
        ds = base_ds(CT_SOP, sop, pat, course["study"], "CT", series, course["for"], course["date"])
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = k + 1
        z = grid.o[2] + grid.s[2] * k
        ds.ImagePositionPatient = [f"{grid.o[0]:.4f}", f"{grid.o[1]:.4f}", f"{z:.4f}"]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceLocation = f"{z:.4f}"
        ds.SliceThickness = f"{grid.s[2]:.4f}"
        ds.PixelSpacing = [f"{grid.s[1]:.6f}", f"{grid.s[0]:.6f}"]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = int(grid.n[1]), int(grid.n[0])
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.KVP = "120"
        px = np.clip(np.rint(vol_hu[k] + 1024), -1024, 32767).astype(np.int16)
        ds.PixelData = px.tobytes()
        ds.save_as(os.path.join(outdir, f"CT{k + 1:04d}.dcm"), write_like_original=False)
        sops.append((sop, z))
    return series, sops


def write_rtstruct(path, pat, uids, course, ct_series, ct_sops, rois, points):
    """rois: list of (name, type, {z: [contour (M, 3)]}); points: list of (name, xyz)."""
    sop = uids.new()
    ds = base_ds(RS_SOP, sop, pat, course["study"], "RTSTRUCT", uids.new(), course["for"], course["date"])
    ds.StructureSetLabel = course["id"]
    ds.StructureSetDate = course["date"]
    ds.StructureSetTime = "100000"
    del ds.FrameOfReferenceUID
    rf = Dataset()
    rf.FrameOfReferenceUID = course["for"]
    st = Dataset()
    st.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    st.ReferencedSOPInstanceUID = course["study"]
    se = Dataset()
    se.SeriesInstanceUID = ct_series
    ims = []
    for s, _ in ct_sops:
        it = Dataset()
        it.ReferencedSOPClassUID = CT_SOP
        it.ReferencedSOPInstanceUID = s
        ims.append(it)
    se.ContourImageSequence = Sequence(ims)
    st.RTReferencedSeriesSequence = Sequence([se])
    rf.RTReferencedStudySequence = Sequence([st])
    ds.ReferencedFrameOfReferenceSequence = Sequence([rf])
    zs = np.array([z for _, z in ct_sops])
    ssroi, rcs, obs = [], [], []
    colours = [(255, 0, 0), (0, 200, 0), (0, 0, 255), (255, 160, 0), (160, 0, 255), (0, 200, 200), (200, 200, 0)]
    allr = [(n, t, c) for n, t, c in rois] + [(n, "MARKER", {"point": p}) for n, p in points]
    for num, (name, typ, contours) in enumerate(allr, start=1):
        r = Dataset()
        r.ROINumber = num
        r.ReferencedFrameOfReferenceUID = course["for"]
        r.ROIName = name
        r.ROIGenerationAlgorithm = "AUTOMATIC"
        ssroi.append(r)
        o = Dataset()
        o.ObservationNumber = num
        o.ReferencedROINumber = num
        o.RTROIInterpretedType = typ
        o.ROIInterpreter = ""
        obs.append(o)
        rc = Dataset()
        rc.ReferencedROINumber = num
        rc.ROIDisplayColor = list(colours[num % len(colours)])
        seq = []
        if typ == "MARKER":
            p = contours["point"]
            c = Dataset()
            c.ContourGeometricType = "POINT"
            c.NumberOfContourPoints = 1
            c.ContourData = [f"{v:.3f}" for v in p]
            seq.append(c)
        else:
            for z, cl in sorted(contours.items()):
                k = int(np.argmin(np.abs(zs - z)))
                for pts in cl:
                    c = Dataset()
                    ci = Dataset()
                    ci.ReferencedSOPClassUID = CT_SOP
                    ci.ReferencedSOPInstanceUID = ct_sops[k][0]
                    c.ContourImageSequence = Sequence([ci])
                    c.ContourGeometricType = "CLOSED_PLANAR"
                    c.NumberOfContourPoints = len(pts)
                    c.ContourData = [f"{v:.3f}" for v in pts.ravel()]
                    seq.append(c)
        rc.ContourSequence = Sequence(seq)
        rcs.append(rc)
    ds.StructureSetROISequence = Sequence(ssroi)
    ds.ROIContourSequence = Sequence(rcs)
    ds.RTROIObservationsSequence = Sequence(obs)
    ds.save_as(path, write_like_original=False)
    return sop


def write_rtplan(path, pat, uids, course, rs_sop):
    sop = uids.new()
    ds = base_ds(RP_SOP, sop, pat, course["study"], "RTPLAN", uids.new(), course["for"], course["date"])
    ds.RTPlanLabel = course["id"]
    ds.RTPlanName = f"{course['id']} {course['rx']:g} Gy/{course['fx']} fx"
    ds.RTPlanDate = course["date"]
    ds.RTPlanTime = "110000"
    ds.RTPlanGeometry = "PATIENT"
    rs = Dataset()
    rs.ReferencedSOPClassUID = RS_SOP
    rs.ReferencedSOPInstanceUID = rs_sop
    ds.ReferencedStructureSetSequence = Sequence([rs])
    fg = Dataset()
    fg.FractionGroupNumber = 1
    fg.NumberOfFractionsPlanned = course["fx"]
    fg.NumberOfBeams = 0
    fg.NumberOfBrachyApplicationSetups = 0
    ds.FractionGroupSequence = Sequence([fg])
    dr = Dataset()
    dr.DoseReferenceNumber = 1
    dr.DoseReferenceUID = uids.new()
    dr.DoseReferenceStructureType = "SITE"
    dr.DoseReferenceDescription = "target"
    dr.DoseReferenceType = "TARGET"
    dr.TargetPrescriptionDose = f"{course['rx']:g}"
    ds.DoseReferenceSequence = Sequence([dr])
    ds.save_as(path, write_like_original=False)
    return sop


def write_rtdose(path, pat, uids, course, grid, dose, rp_sop):
    sop = uids.new()
    ds = base_ds(RD_SOP, sop, pat, course["study"], "RTDOSE", uids.new(), course["for"], course["date"])
    ds.ImagePositionPatient = [f"{v:.4f}" for v in grid.o]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SliceThickness = f"{grid.s[2]:.4f}"
    ds.PixelSpacing = [f"{grid.s[1]:.4f}", f"{grid.s[0]:.4f}"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = int(grid.n[2])
    ds.FrameIncrementPointer = pydicom.tag.Tag(0x3004, 0x000C)
    ds.Rows, ds.Columns = int(grid.n[1]), int(grid.n[0])
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 32, 32, 31, 0
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    ds.GridFrameOffsetVector = [f"{grid.s[2] * k:.4f}" for k in range(grid.n[2])]
    scale = max(float(dose.max()), 1e-3) / 4.0e9
    ds.DoseGridScaling = f"{scale:.10e}"
    ds.PixelData = np.rint(np.clip(dose, 0, None) / scale).astype(np.uint32).tobytes()
    rp = Dataset()
    rp.ReferencedSOPClassUID = RP_SOP
    rp.ReferencedSOPInstanceUID = rp_sop
    ds.ReferencedRTPlanSequence = Sequence([rp])
    ds.save_as(path, write_like_original=False)


def write_mha(path, grid, data, ncomp=1):
    """MetaImage, LPS, identity directions; data (nz, ny, nx[, 3])."""
    et = {np.dtype(np.float32): "MET_FLOAT", np.dtype(np.int16): "MET_SHORT", np.dtype(np.uint8): "MET_UCHAR"}[data.dtype]
    hdr = ("ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
           "CompressedData = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n"
           f"Offset = {grid.o[0]:.6f} {grid.o[1]:.6f} {grid.o[2]:.6f}\nCenterOfRotation = 0 0 0\n"
           "AnatomicalOrientation = RAI\n"
           f"ElementSpacing = {grid.s[0]:.6f} {grid.s[1]:.6f} {grid.s[2]:.6f}\n"
           f"DimSize = {grid.n[0]} {grid.n[1]} {grid.n[2]}\n"
           + (f"ElementNumberOfChannels = {ncomp}\n" if ncomp > 1 else "")
           + f"ElementType = {et}\nElementDataFile = LOCAL\n")
    with open(path, "wb") as f:
        f.write(hdr.encode())
        f.write(np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<")).tobytes())


# ----------------------------------------------------------------------------- contours

def contour_slices(sdfun, grid_ct, lo, hi, step):
    """{z: [polygons (M, 3)]} of the zero level set of sdfun (course coordinates) on every CT
    slice within [lo, hi] (course-space box), traced with marching squares at `step` mm."""
    out = {}
    xs = np.arange(lo[0] - 2 * step, hi[0] + 2 * step, step)
    ys = np.arange(lo[1] - 2 * step, hi[1] + 2 * step, step)
    X, Y = np.meshgrid(xs, ys, indexing="xy")
    for k in range(grid_ct.n[2]):
        z = grid_ct.o[2] + grid_ct.s[2] * k
        if z < lo[2] - 1 or z > hi[2] + 1:
            continue
        P = np.stack([X.ravel(), Y.ravel(), np.full(X.size, z)], 1)
        d = sdfun(P).reshape(X.shape)
        if not (d < 0).any():
            continue
        polys = []
        for c in measure.find_contours(d, 0.0):
            if len(c) < 4:
                continue
            py = ys[0] + c[:, 0] * step
            px = xs[0] + c[:, 1] * step
            if abs(px[0] - px[-1]) + abs(py[0] - py[-1]) > 1e-6:
                continue  # open curve at the sampling border
            pts = np.stack([px[:-1], py[:-1], np.full(len(px) - 1, z)], 1)
            area = 0.5 * np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
            if abs(area) < 0.5 * step * step:
                continue
            if area < 0:
                pts = pts[::-1]
            polys.append(pts)
        if polys:
            out[round(z, 4)] = polys
    return out


# ----------------------------------------------------------------------------- main

SIZES = {
    # fixed (course 2) CT, moving (course 1) CT, dose grids, contour step
    "clinical": dict(ct2=((-249.5, -254.5, -222.5), (500 / 512, 500 / 512, 2.5), (512, 512, 160)),
                     ct1=((-251.2, -249.0, -230.0), (500 / 512, 500 / 512, 2.5), (512, 512, 164)),
                     rd2=((-105.0, -95.0, -100.0), (2.5, 2.5, 2.5), (69, 63, 65)),
                     rd1=((-110.0, -110.0, -135.0), (2.5, 2.5, 2.5), (89, 77, 87)),
                     step=0.5, truth_h=2.0),
    "small": dict(ct2=((-150.0, -150.0, -214.0), (3.75, 3.75, 4.0), (81, 81, 95)),
                  ct1=((-152.0, -148.0, -220.0), (3.75, 3.75, 4.0), (81, 81, 96)),
                  rd2=((-104.0, -96.0, -100.0), (4.0, 4.0, 4.0), (43, 39, 41)),
                  rd1=((-112.0, -112.0, -136.0), (4.0, 4.0, 4.0), (57, 49, 55)),
                  step=1.0, truth_h=3.0),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", default="clinical", choices=sorted(SIZES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deform-scale", type=float, default=1.0, help="non-rigid amplitude factor")
    ap.add_argument("--rigid-scale", type=float, default=1.0, help="set-up (rigid) change factor")
    ap.add_argument("--texture-hu", type=float, default=12.0, help="anatomical texture SD in soft tissue (HU)")
    ap.add_argument("--noise-hu", type=float, default=10.0, help="scanner noise SD (HU), independent per scan")
    ap.add_argument("--penumbra-scale", type=float, default=1.0,
                    help="factor on the dose penumbra widths (default 1: sigma 3.8/4.2 mm prior, 3.2 mm re-irradiation)")
    a = ap.parse_args()
    global PENUMBRA
    PENUMBRA = a.penumbra_scale
    t_start = time.time()
    cfg = SIZES[a.size]
    rng = np.random.default_rng(a.seed)
    out = a.out
    os.makedirs(os.path.join(out, "truth"), exist_ok=True)
    S, painters = build_anatomy()
    T1, T2 = targets_course1(), targets_course2()
    D = Deformation(rng, a.deform_scale, a.rigid_scale)
    D_other = Deformation(np.random.default_rng(a.seed + 1000), 1.0, 1.0)
    D_other.t = D_other.t + np.array([6.0, -4.0, 8.0])  # another patient's set-up
    tex = Texture(np.random.default_rng(a.seed + 7), a.texture_hu)
    noise_rng = np.random.default_rng(a.seed + 11)
    pat = {"name": f"HN^Bench^{a.seed}", "id": f"HNB-{a.seed:04d}", "birth": "19580312", "sex": "F"}
    uids = Uids(a.seed, "hnb")
    courses = [
        {"id": "course1", "study": uids.new(), "for": uids.new(), "date": "20200203", "rx": 70.0, "fx": 35},
        {"id": "course2", "study": uids.new(), "for": uids.new(), "date": "20230911", "rx": 60.0, "fx": 30},
    ]
    g_ct = [Grid(*cfg["ct1"]), Grid(*cfg["ct2"])]
    g_rd = [Grid(*cfg["rd1"]), Grid(*cfg["rd2"])]

    def course_points(c, P):
        """course-c coordinates -> template (course-1) coordinates"""
        return P if c == 0 else P + D(P)

    # --- CTs
    vols = []
    for c in (0, 1):
        g = g_ct[c]
        vol = np.empty((g.n[2], g.n[1], g.n[0]), np.float32)
        for k in range(g.n[2]):
            P = g.slice_points(k)
            hu, _ = paint_hu(course_points(c, P), S, painters, tex)
            vol[k] = hu.reshape(g.n[1], g.n[0])
        if a.noise_hu > 0:
            vol += (a.noise_hu * noise_rng.standard_normal(vol.shape)).astype(np.float32) * (vol > -900)
        vols.append(vol)
        print(f"hn_phantom: CT course{c + 1} {tuple(g.n)} done ({time.time() - t_start:.0f} s)", file=sys.stderr)

    # --- doses (course 1 in its own coordinates; course 2 planned on course 2)
    doses = []
    for c in (0, 1):
        g = g_rd[c]
        P = g.points()
        Q = course_points(c, P)
        bsd = S["External"].sd(Q)
        d = dose_course1(Q, S, T1, bsd) if c == 0 else dose_course2(P, T2, bsd)
        doses.append(d.reshape(g.n[2], g.n[1], g.n[0]).astype(np.float32))

    # --- structures
    def roi_list(c):
        rois = []
        names = ["External", "SpinalCord", "Brainstem", "Parotid_L", "Parotid_R", "Bone_Mandible",
                 "A_Carotid_L", "A_Carotid_R", "Larynx", "Esophagus", "Glnd_Submand_L", "Glnd_Submand_R",
                 "Glnd_Thyroid"]
        targ = T1 if c == 0 else T2
        g = g_ct[c]
        ct_lo = g.o - 0.5 * g.s
        ct_hi = g.o + (g.n - 0.5) * g.s
        for name in names + list(targ):
            shp = S.get(name) or targ[name]
            if name in targ:  # targets live in their own course's coordinates
                f = shp.sd
                lo, hi = shp.lo, shp.hi
            elif c == 0:
                f = shp.sd
                lo, hi = shp.lo, shp.hi
            else:
                f = lambda P, s=shp: s.sd(P + D(P))
                lo, hi = shp.lo - 16, shp.hi + 16
            lo = np.maximum(lo, ct_lo)
            hi = np.minimum(hi, ct_hi)
            step = 1.0 if name == "External" else cfg["step"]
            cs = contour_slices(f, g, lo, hi, step)
            typ = "EXTERNAL" if name == "External" else ("PTV" if name.startswith("PTV") else
                                                         "GTV" if name.startswith("GTV") else "ORGAN")
            if cs:
                rois.append((name, typ, cs))
        return rois

    # landmarks (fixed points; moving = x + u(x)) at anatomical features
    lm_fixed = np.array([(0, 50, -30), (0, -8, -110), (38, -26, -6), (-38, -26, -6), (0, -38, -17),
                         (0, -40, -40), (24, 2, -60), (-24, 2, -60), (0, 30, 10), (44, -2, 20)], float)
    lm_names = ["C4_spinous", "Trachea_T1", "Mandible_angle_L", "Mandible_angle_R", "Hyoid",
                "Thyroid_notch", "CCA_L", "CCA_R", "C2_canal", "Parotid_L_pt"]
    lm_moving = lm_fixed + D(lm_fixed)

    paths = {}
    for c in (0, 1):
        cc = courses[c]
        cdir = os.path.join(out, cc["id"])
        os.makedirs(cdir, exist_ok=True)
        series, sops = write_ct(os.path.join(cdir, "CT"), g_ct[c], vols[c], pat, uids, cc)
        pts = [("Fid_" + n, (lm_moving if c == 0 else lm_fixed)[q]) for q, n in enumerate(lm_names)]
        rs = write_rtstruct(os.path.join(cdir, f"RS_{cc['id']}.dcm"), pat, uids, cc, series, sops, roi_list(c), pts)
        rp = write_rtplan(os.path.join(cdir, f"RP_{cc['id']}.dcm"), pat, uids, cc, rs)
        write_rtdose(os.path.join(cdir, f"RD_{cc['id']}.dcm"), pat, uids, cc, g_rd[c], doses[c], rp)
        paths[cc["id"]] = {"ct_dir": f"{cc['id']}/CT", "rtstruct": f"{cc['id']}/RS_{cc['id']}.dcm",
                           "rtdose": f"{cc['id']}/RD_{cc['id']}.dcm", "rtplan": f"{cc['id']}/RP_{cc['id']}.dcm"}
        print(f"hn_phantom: DICOM course{c + 1} written ({time.time() - t_start:.0f} s)", file=sys.stderr)

    # --- truth on a grid over the fixed body (and the CT FOV)
    h = cfg["truth_h"]
    g2 = g_ct[1]
    lo = np.maximum(g2.o, np.array([-185.0, -118.0, -400.0]))
    hi = np.minimum(g2.o + (g2.n - 1) * g2.s, np.array([185.0, 118.0, 180.0]))
    n = np.floor((hi - lo) / h).astype(int) + 1
    gt = Grid(lo, (h, h, h), n)
    P = gt.points()
    U = D(P)
    Y = P + U
    bsd = S["External"].sd(Y)
    g1 = g_ct[0]
    in1 = np.all((Y >= g1.o) & (Y <= g1.o + (g1.n - 1) * g1.s), axis=1)
    body = (bsd < 0) & in1
    d2 = dose_course2(P, T2, bsd)
    dose5 = body & (d2 > 0.05 * doses[1].max())
    shp3 = (gt.n[2], gt.n[1], gt.n[0])
    write_mha(os.path.join(out, "truth", "u_true.mha"), gt, U.reshape(shp3 + (3,)).astype(np.float32), 3)
    write_mha(os.path.join(out, "truth", "body.mha"), gt, body.reshape(shp3).astype(np.uint8))
    write_mha(os.path.join(out, "truth", "dose5.mha"), gt, dose5.reshape(shp3).astype(np.uint8))
    # wrong pair: another patient's deformation (and set-up)
    write_mha(os.path.join(out, "truth", "u_wrongpair.mha"), gt, D_other(P).reshape(shp3 + (3,)).astype(np.float32), 3)
    # wrong direction: the course-2 -> course-1 map exported as if it were the pull-back, i.e.
    # w(y) with y + w(y) = fixed point of moving y (fixed-point inversion of x = y - u(x))
    X = P.copy()
    for _ in range(30):
        X = P - D(X)
    W = X - P
    write_mha(os.path.join(out, "truth", "u_wrongdir.mha"), gt, W.reshape(shp3 + (3,)).astype(np.float32), 3)
    for c, name in ((1, "fixed"), (0, "moving")):
        write_mha(os.path.join(out, "truth", name + ".mha"), g_ct[c], np.rint(vols[c]).astype(np.int16))
    for c, name in ((1, "dose_fixed"), (0, "dose_moving")):
        write_mha(os.path.join(out, "truth", name + ".mha"), g_rd[c], doses[c])
    mag = np.linalg.norm(U, axis=1)
    # Jacobian of the truth (finite differences) to document that it does not fold
    Ug = U.reshape(shp3 + (3,))
    J = np.zeros(shp3 + (3, 3))
    for ax in range(3):
        J[..., :, ax] = np.gradient(Ug, h, axis=2 - ax)
    J += np.eye(3)
    detj = np.linalg.det(J)
    summary = {
        "generator": "bench/register/hn_phantom.py", "size": a.size, "seed": a.seed,
        "deform_scale": a.deform_scale, "rigid_scale": a.rigid_scale, "texture_hu": a.texture_hu,
        "noise_hu": a.noise_hu, "penumbra_scale": a.penumbra_scale,
        "truth_grid": {"origin": gt.o.tolist(), "spacing": gt.s.tolist(), "dims": gt.n.tolist()},
        "u_body_mean_mm": float(mag[body].mean()), "u_body_p95_mm": float(np.percentile(mag[body], 95)),
        "u_body_max_mm": float(mag[body].max()), "u_dose5_mean_mm": float(mag[dose5].mean()),
        "u_dose5_max_mm": float(mag[dose5].max()), "detj_min_body": float(detj.reshape(-1)[body].min()),
        "rigid_translation_mm": D.t.tolist(), "flexion_deg": D.flex_deg, "shrink": D.shrink,
        "dose_max_gy": [float(doses[0].max()), float(doses[1].max())],
        "seconds": time.time() - t_start,
    }
    json.dump(summary, open(os.path.join(out, "truth", "summary.json"), "w"), indent=1)
    with open(os.path.join(out, "truth", "landmarks.csv"), "w") as f:
        f.write("name,x_fixed,y_fixed,z_fixed,x_moving,y_moving,z_moving\n")
        for q, nme in enumerate(lm_names):
            f.write(nme + "," + ",".join(f"{v:.4f}" for v in lm_fixed[q]) + "," +
                    ",".join(f"{v:.4f}" for v in lm_moving[q]) + "\n")

    # --- case files
    def case(regs):
        return {
            "schema": "rert-case/1",
            "comment": "hn_phantom.py: independent synthetic H&N re-irradiation patient (bench/register)",
            "patient": {"id": pat["id"], "name": pat["name"], "birth_date": "1958-03-12", "sex": "F"},
            "clinical": {"histology": "squamous", "subsite": "oropharynx", "ecog": 1,
                         "recurrence_date": "2023-08-01"},
            "courses": [
                {"id": "course1", "role": "prior", "start_date": "2020-02-10", "end_date": "2020-03-27",
                 "modality": "photon", "technique": "IMRT", "fractions": 35, "prescription_gy": 70,
                 "dicom": paths["course1"]},
                {"id": "course2", "role": "planned", "start_date": "2023-09-18", "modality": "photon",
                 "technique": "IMRT", "fractions": 30, "prescription_gy": 60, "dicom": paths["course2"]},
            ],
            "reference_course": "course2",
            "registrations": regs,
            "recurrence_roi": "GTV_2",
            "protocols": ["care_s0"],
        }

    def reg(f):
        return [{"from": "course1", "to": "course2", "type": "deformable", "mha": f}]

    json.dump(case([]), open(os.path.join(out, "case.json"), "w"), indent=1)
    json.dump(case(reg("truth/u_true.mha")), open(os.path.join(out, "case_truth.json"), "w"), indent=1)
    json.dump(case(reg("truth/u_wrongdir.mha")), open(os.path.join(out, "case_wrongdir.json"), "w"), indent=1)
    json.dump(case(reg("truth/u_wrongpair.mha")), open(os.path.join(out, "case_wrongpair.json"), "w"), indent=1)
    print(json.dumps({k: summary[k] for k in ("u_body_mean_mm", "u_body_p95_mm", "u_body_max_mm",
                                              "u_dose5_mean_mm", "u_dose5_max_mm", "detj_min_body",
                                              "seconds")}))


if __name__ == "__main__":
    main()
