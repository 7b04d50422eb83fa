// reg_itk_filters.cpp — ITK image filters behind the register module's C API (reg_itk.h):
// ITK's multi-resolution diffeomorphic demons (the `--engine itk` alternative to the built-in
// engine, kept so the trade-off stays measurable: docs/register.md) and the signed Maurer
// distance map used by the contour QA (mean surface distance of propagated contours).
#include <itkDiffeomorphicDemonsRegistrationFilter.h>
#include <itkImage.h>
#include <itkImportImageFilter.h>
#include <itkMultiResolutionPDEDeformableRegistration.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include <cstring>
#include <exception>

extern "C" {
#include "register/reg_itk.h"
}

namespace {
using Img = itk::Image<float, 3>;
using Vec = itk::Vector<float, 3>;
using Fld = itk::Image<Vec, 3>;

template <class I>
void set_geometry(I *im, int nx, int ny, int nz, const double o[3], const double sp[3], const double dir[9]) {
  typename I::RegionType r;
  typename I::SizeType s;
  s[0] = nx, s[1] = ny, s[2] = nz;
  r.SetSize(s);
  im->SetRegions(r);
  typename I::PointType p;
  typename I::SpacingType spc;
  typename I::DirectionType d;
  for (int a = 0; a < 3; a++) {
    p[a] = o[a];
    spc[a] = sp[a];
    for (int b = 0; b < 3; b++) d[a][b] = dir[3 * b + a];  // column b = direction of index axis b
  }
  im->SetOrigin(p);
  im->SetSpacing(spc);
  im->SetDirection(d);
}

Img::Pointer to_itk(const rert_volume *v) {
  auto im = Img::New();
  set_geometry(im.GetPointer(), v->nx, v->ny, v->nz, v->origin_mm, v->spacing_mm, v->dir);
  im->Allocate();
  std::memcpy(im->GetBufferPointer(), v->data, sizeof(float) * volume_count(v));
  return im;
}
}  // namespace

extern "C" int reg_itk_demons(const rert_volume *fixed, const rert_volume *moving, int levels, const int *iterations,
                              double sigma_field_vox, double sigma_update_vox, double max_step_vox,
                              const rert_vfield *init, rert_vfield *out, rert_err *err) {
  if (!volume_same_geometry(fixed, moving))
    return rert_err_set(err, RERT_EINPUT, "itk demons: the moving image must be resampled onto the fixed grid");
  try {
    using D = itk::DiffeomorphicDemonsRegistrationFilter<Img, Img, Fld>;
    auto d = D::New();
    d->SetUseGradientType(itk::ESMDemonsRegistrationFunctionEnums::Gradient::Symmetric);
    d->SetMaximumUpdateStepLength(max_step_vox);
    d->SetSmoothDisplacementField(sigma_field_vox > 0);
    d->SetStandardDeviations(sigma_field_vox > 0 ? sigma_field_vox : 1.0);
    d->SetSmoothUpdateField(sigma_update_vox > 0);
    d->SetUpdateFieldStandardDeviations(sigma_update_vox > 0 ? sigma_update_vox : 1.0);
    auto mr = itk::MultiResolutionPDEDeformableRegistration<Img, Img, Fld>::New();
    mr->SetRegistrationFilter(d);
    mr->SetNumberOfLevels(levels);
    unsigned its[16];
    for (int l = 0; l < levels && l < 16; l++) its[l] = (unsigned)iterations[l];
    mr->SetNumberOfIterations(its);
    auto F = to_itk(fixed), M = to_itk(moving);
    mr->SetFixedImage(F);
    mr->SetMovingImage(M);
    Fld::Pointer f0;
    if (init) {
      f0 = Fld::New();
      set_geometry(f0.GetPointer(), init->nx, init->ny, init->nz, init->origin_mm, init->spacing_mm, init->dir);
      f0->Allocate();
      Vec *dst = f0->GetBufferPointer();
      for (size_t q = 0; q < reg_vfield_count(init); q++)
        for (int a = 0; a < 3; a++) dst[q][a] = init->u_mm[3 * q + a];
      mr->SetArbitraryInitialDisplacementField(f0);
    }
    mr->Update();
    Fld *r = mr->GetOutput();
    int rc = reg_vfield_alloc_like(out, fixed, err);
    if (rc) return rc;
    const Vec *src = r->GetBufferPointer();
    for (size_t q = 0; q < reg_vfield_count(out); q++)
      for (int a = 0; a < 3; a++) out->u_mm[3 * q + a] = src[q][a];
  } catch (const std::exception &e) {
    return rert_err_set(err, RERT_EINTERNAL, "itk demons: %s", e.what());
  }
  return RERT_OK;
}

extern "C" int reg_itk_signed_distance(const rert_volume *mask, rert_volume *dist, rert_err *err) {
  try {
    auto im = to_itk(mask);
    auto f = itk::SignedMaurerDistanceMapImageFilter<Img, Img>::New();
    f->SetInput(im);
    f->SetBackgroundValue(0.0f);
    f->SetInsideIsPositive(false);
    f->SetSquaredDistance(false);
    f->SetUseImageSpacing(true);
    f->Update();
    int rc = volume_alloc_like(dist, mask, err);
    if (rc) return rc;
    std::memcpy(dist->data, f->GetOutput()->GetBufferPointer(), sizeof(float) * volume_count(mask));
  } catch (const std::exception &e) {
    return rert_err_set(err, RERT_EINTERNAL, "itk distance map: %s", e.what());
  }
  return RERT_OK;
}
