/* cmd_info.c — `rert info DIR`: what is in an unknown DICOM export. Indexes every file
 * (io_scan_dir) and prints patients → studies → image series and RT objects with the references
 * between them (RTSTRUCT → series, RTPLAN → RTSTRUCT, RTDOSE → RTPLAN, REG frames), marking
 * references that point to nothing in the export. --json gives the same index as JSON. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rert/dicomio.h"

static const rert_opt opts[] = {{0}};

/* does any object in the index have this SOP instance / series UID? */
static int has_uid(const io_index *ix, const char *uid, int series) {
  if (!uid[0]) return 1;
  for (int i = 0; i < ix->nobjects; i++)
    if (strcmp(series ? ix->objects[i].ident.series_instance_uid
                      : ix->objects[i].ident.sop_instance_uid, uid) == 0)
      return 1;
  return 0;
}

static const char *label_of(const io_index *ix, const char *uid, int series) {
  for (int i = 0; i < ix->nobjects; i++) {
    const io_object *o = &ix->objects[i];
    if (strcmp(series ? o->ident.series_instance_uid : o->ident.sop_instance_uid, uid) == 0)
      return o->ident.path;
  }
  return "NOT IN EXPORT";
}

static cJSON *object_json(const io_object *o) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "kind", io_kind_name(o->kind));
  cJSON_AddStringToObject(j, "modality", o->ident.modality);
  cJSON_AddStringToObject(j, "path", o->ident.path);
  cJSON_AddNumberToObject(j, "files", o->nfiles);
  cJSON_AddStringToObject(j, "series_instance_uid", o->ident.series_instance_uid);
  cJSON_AddStringToObject(j, "sop_instance_uid", o->ident.sop_instance_uid);
  cJSON_AddStringToObject(j, "frame_of_reference_uid", o->ident.frame_of_reference_uid);
  cJSON_AddStringToObject(j, "series_description", o->ident.series_description);
  if (o->kind == IO_KIND_IMAGE || o->kind == IO_KIND_RTDOSE) {
    cJSON_AddNumberToObject(j, "rows", o->rows);
    cJSON_AddNumberToObject(j, "columns", o->cols);
    cJSON_AddNumberToObject(j, o->kind == IO_KIND_IMAGE ? "slices" : "frames", o->nframes);
  }
  if (o->kind == IO_KIND_RTDOSE) {
    cJSON_AddStringToObject(j, "dose_units", o->dose_units);
    cJSON_AddStringToObject(j, "dose_type", o->dose_type);
    cJSON_AddStringToObject(j, "dose_summation_type", o->dose_summation);
    cJSON_AddStringToObject(j, "referenced_plan_uid", o->ref_plan_uid);
  }
  if (o->kind == IO_KIND_RTSTRUCT) {
    cJSON_AddNumberToObject(j, "rois", o->nrois);
    cJSON_AddStringToObject(j, "referenced_series_uid", o->ref_series_uid);
  }
  if (o->kind == IO_KIND_RTPLAN) {
    cJSON_AddNumberToObject(j, "fraction_groups", o->nfraction_groups);
    cJSON_AddNumberToObject(j, "fractions_planned", o->fractions_planned);
    cJSON_AddStringToObject(j, "radiation_type", o->radiation_type);
    cJSON_AddStringToObject(j, "referenced_structure_set_uid", o->ref_struct_uid);
    cJSON_AddStringToObject(j, "plan_label", o->plan_label);
    cJSON_AddStringToObject(j, "approval_status", o->approval_status);
    cJSON_AddStringToObject(j, "plan_intent", o->plan_intent);
  }
  if (o->kind == IO_KIND_RTRECORD) cJSON_AddStringToObject(j, "referenced_plan_uid", o->ref_plan_uid);
  if (o->kind == IO_KIND_REG || o->kind == IO_KIND_DEFORMABLE_REG) {
    cJSON_AddStringToObject(j, "fixed_frame_uid", o->reg_fixed_frame_uid);
    cJSON_AddStringToObject(j, "moving_frame_uid", o->reg_moving_frame_uid);
  }
  return j;
}

static void print_object(const io_index *ix, const io_object *o) {
  printf("    %-8s %s", o->kind == IO_KIND_IMAGE ? o->ident.modality : io_kind_name(o->kind),
         o->kind == IO_KIND_IMAGE ? "" : o->ident.path);
  switch (o->kind) {
    case IO_KIND_IMAGE:
      printf("series %s: %d slices %dx%d  \"%s\"\n", o->ident.series_instance_uid, o->nframes,
             o->cols, o->rows, o->ident.series_description);
      break;
    case IO_KIND_RTDOSE:
      printf("\n             %dx%dx%d %s %s %s -> plan %s\n", o->cols, o->rows, o->nframes,
             o->dose_units, o->dose_type, o->dose_summation,
             o->ref_plan_uid[0] ? label_of(ix, o->ref_plan_uid, 0) : "(none)");
      break;
    case IO_KIND_RTSTRUCT:
      printf("\n             %d ROIs -> series %s\n", o->nrois,
             o->ref_series_uid[0] ? (has_uid(ix, o->ref_series_uid, 1) ? o->ref_series_uid
                                                                         : "NOT IN EXPORT")
                                  : "(none)");
      break;
    case IO_KIND_RTPLAN:
      printf("\n             '%s' %s, %s, %d fraction group(s), %d fractions -> structure set %s\n",
             o->plan_label, o->approval_status[0] ? o->approval_status : "(no approval status)",
             o->radiation_type[0] ? o->radiation_type : "?", o->nfraction_groups,
             o->fractions_planned,
             o->ref_struct_uid[0] ? label_of(ix, o->ref_struct_uid, 0) : "(none)");
      break;
    case IO_KIND_RTRECORD:
      printf("\n             treatment record -> plan %s\n",
             o->ref_plan_uid[0] ? label_of(ix, o->ref_plan_uid, 0) : "(none)");
      break;
    case IO_KIND_REG:
    case IO_KIND_DEFORMABLE_REG:
      printf("\n             moving frame %s -> fixed frame %s\n", o->reg_moving_frame_uid,
             o->reg_fixed_frame_uid);
      break;
    default:
      printf("  (%s)\n", o->ident.modality);
  }
  printf("             frame of reference %s\n", o->ident.frame_of_reference_uid[0]
                                                     ? o->ident.frame_of_reference_uid : "(none)");
}

static int run(const rert_args *args, rert_err *err) {
  io_index ix;
  int rc = io_scan_dir(cli_pos(args, 0), &ix, err);
  if (rc) return rc;
  if (cli_json(args)) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "directory", cli_pos(args, 0));
    cJSON *pats = cJSON_AddArrayToObject(root, "patients");
    cJSON *pat = NULL, *studies = NULL, *study = NULL, *objs = NULL;
    const char *cur_pat = NULL, *cur_study = NULL;
    for (int i = 0; i < ix.nobjects; i++) {
      const io_object *o = &ix.objects[i];
      if (!cur_pat || strcmp(cur_pat, o->ident.patient_id) != 0) {
        pat = cJSON_CreateObject();
        cJSON_AddStringToObject(pat, "patient_id", o->ident.patient_id);
        cJSON_AddStringToObject(pat, "patient_name", o->ident.patient_name);
        cJSON_AddStringToObject(pat, "birth_date", o->ident.patient_birth_date);
        studies = cJSON_AddArrayToObject(pat, "studies");
        cJSON_AddItemToArray(pats, pat);
        cur_pat = o->ident.patient_id;
        cur_study = NULL;
      }
      if (!cur_study || strcmp(cur_study, o->ident.study_instance_uid) != 0) {
        study = cJSON_CreateObject();
        cJSON_AddStringToObject(study, "study_instance_uid", o->ident.study_instance_uid);
        cJSON_AddStringToObject(study, "study_date", o->ident.study_date);
        objs = cJSON_AddArrayToObject(study, "objects");
        cJSON_AddItemToArray(studies, study);
        cur_study = o->ident.study_instance_uid;
      }
      cJSON_AddItemToArray(objs, object_json(o));
    }
    cJSON_AddNumberToObject(root, "skipped_non_dicom", ix.nskipped);
    cJSON *pr = cJSON_AddArrayToObject(root, "problems");
    for (int i = 0; i < ix.nproblems; i++) cJSON_AddItemToArray(pr, cJSON_CreateString(ix.problems[i]));
    cli_print_json(root);
  } else {
    const char *cur_pat = NULL, *cur_study = NULL;
    printf("%s: %d object(s), %d non-DICOM file(s) skipped\n", cli_pos(args, 0), ix.nobjects,
           ix.nskipped);
    for (int i = 0; i < ix.nobjects; i++) {
      const io_object *o = &ix.objects[i];
      if (!cur_pat || strcmp(cur_pat, o->ident.patient_id) != 0) {
        printf("Patient %s \"%s\" born %s\n", o->ident.patient_id, o->ident.patient_name,
               o->ident.patient_birth_date[0] ? o->ident.patient_birth_date : "?");
        cur_pat = o->ident.patient_id;
        cur_study = NULL;
      }
      if (!cur_study || strcmp(cur_study, o->ident.study_instance_uid) != 0) {
        printf("  Study %s (%s)\n", o->ident.study_instance_uid,
               o->ident.study_date[0] ? o->ident.study_date : "no date");
        cur_study = o->ident.study_instance_uid;
      }
      print_object(&ix, o);
    }
    for (int i = 0; i < ix.nproblems; i++) printf("PROBLEM %s\n", ix.problems[i]);
  }
  io_index_free(&ix);
  return RERT_OK;
}

const rert_cmd rert_cmd_info = {
    "info",
    "index a DICOM export: patients, studies, series and RT objects with their references",
    "DIR",
    "Reads the header of every file under DIR (recursively; pixel data is not loaded) and prints "
    "patients → studies → image series, RTSTRUCT, RTPLAN, RTDOSE and registrations with what "
    "each refers to (structure set → image series, plan → structure set, dose → plan, "
    "registration → frames of reference). References to objects missing from the export are "
    "marked NOT IN EXPORT; unreadable DICOM files are listed as PROBLEM. The first command to run "
    "on an unknown export.",
    opts,
    "rert info export/\nrert info export/ --json",
    1, 1, run};
