"""safety_outputs.py — outputs and messages (issue 12 item 7): --out must be new, empty or an
earlier rert output (marker .rert-output), never an input or inside one; no stale file of an
earlier run survives; output files are never inputs; ids with control characters or path
separators are refused with the JSON path named. Every refusal leaves the tree unchanged."""
import os

from safety_lib import Variant

ACC = ["accumulate", "{case}", "--out", "{out}"]
MHA = "registration/field_course1_to_course2.mha"
RD1 = "course1/RD_course1.dcm"


def nothing(ctx):
    pass


def foreign_dir(ctx):
    ctx.out.mkdir()
    (ctx.out / "notes.txt").write_text("a physicist's notes, not a rert output\n")


def earlier_output(ctx):
    """What an earlier `rert accumulate` left: the marker, and a file the new run does not write."""
    ctx.out.mkdir()
    (ctx.out / ".rert-output").write_text("rert-output/1\nrert accumulate (earlier run)\n")
    (ctx.out / "EQD2_course9.dcm").write_bytes(b"stale map of a course that no longer exists")


def replaced(ctx, proc):
    assert not (ctx.out / "EQD2_course9.dcm").exists(), "stale file of the earlier run survived"
    assert (ctx.out / "EQD2_cumulative.dcm").exists(), "no EQD2_cumulative.dcm"
    assert (ctx.out / ".rert-output").read_text().startswith("rert-output/1"), "marker"
    left = [p for p in os.listdir(ctx.root) if ".tmp-" in p or ".old-" in p]
    assert not left, "staging directories left: %s" % left


def out_symlink(ctx):
    (ctx.root / "elsewhere").mkdir()
    os.symlink(ctx.root / "elsewhere", ctx.out)


def case_edit(fn):
    return lambda ctx: ctx.edit_case(fn)


def course_id(value):
    def fn(c):
        old = c["courses"][0]["id"]
        c["courses"][0]["id"] = value
        for r in c.get("registrations", []):
            if r["from"] == old:
                r["from"] = value
    return fn


def reg_from(value):
    def fn(c):
        c["registrations"][0]["from"] = value
    return fn


def patient_id(value):
    return lambda c: c["patient"].__setitem__("id", value)


def broken_reference_dose(ctx):
    b = ctx.p("course2/RD_course2.dcm").read_bytes()
    ctx.p("course2/RD_course2.dcm").write_bytes(b[:-3000])


def csv(ctx):
    ctx.p("km.csv").write_text("time,status\n5,1\n8,0\n12,1\n20,1\n")


def phantom_made(ctx, proc):
    assert (ctx.out / "case.json").exists(), "no case.json"
    assert not (ctx.out / "EQD2_course9.dcm").exists(), "stale file of the earlier run survived"


WARP = ["warp", "--moving", "{case_dir}/" + RD1, "--field", "{case_dir}/" + MHA]

VARIANTS = [
    # --- output directories
    Variant("out_is_case_dir", "accumulate --out the case's own directory", nothing,
            ["accumulate", "{case}", "--out", "{case_dir}"], expect=["--out", "contains the input"]),
    Variant("out_inside_ct_dir", "accumulate --out inside a CT series folder", nothing,
            ["accumulate", "{case}", "--out", "{case_dir}/course1/CT/acc"],
            expect=["--out", "course1/CT", "inside the input directory"]),
    Variant("out_is_input_file", "accumulate --out an input RTDOSE file", nothing,
            ["accumulate", "{case}", "--out", "{case_dir}/" + RD1], expect=["--out", "RD_course1.dcm"]),
    Variant("out_foreign_dir", "accumulate --out a non-empty directory rert did not write",
            foreign_dir, ACC, expect=["--out", "{out}", "not an earlier rert output"]),
    Variant("out_symlink", "accumulate --out a symbolic link", out_symlink, ACC,
            expect=["--out", "symbolic link"]),
    Variant("out_earlier_output_replaced", "accumulate --out an earlier rert output: replaced "
            "as a whole, no stale file survives", earlier_output, ACC, exit=0, unchanged=False,
            check=replaced),
    Variant("consult_out_is_case_dir", "consult --out the case's own directory", nothing,
            ["consult", "{case}", "--out", "{case_dir}"], expect=["--out", "contains the input"]),
    Variant("consult_fails_leaves_nothing", "consult on a truncated reference RTDOSE writes nothing",
            broken_reference_dose, ["consult", "{case}", "--out", "{out}"],
            expect=["RD_course2.dcm"]),
    Variant("accumulate_fails_leaves_nothing", "accumulate on a truncated reference RTDOSE writes "
            "nothing", broken_reference_dose, ACC, expect=["RD_course2.dcm"]),
    Variant("phantom_out_foreign_dir", "phantom --out a directory rert did not write", foreign_dir,
            ["phantom", "--out", "{out}"], expect=["--out", "not an earlier rert output"]),
    Variant("phantom_out_earlier_output", "phantom --out an earlier rert output: replaced",
            earlier_output, ["phantom", "--out", "{out}"], exit=0, unchanged=False,
            check=phantom_made),
    # --- output files
    Variant("warp_out_is_field", "warp --out the field it reads", nothing,
            WARP + ["--out", "{case_dir}/" + MHA], expect=["--out", "is an input"]),
    Variant("warp_lower_is_out", "warp --lower the same file as --out", nothing,
            WARP + ["--out", "{root}/w.mha", "--radius-mm", "2", "--lower", "{root}/w.mha",
                    "--upper", "{root}/u.mha"], expect=["--lower", "also given to --out"]),
    Variant("warp_out_in_ct_dir", "warp --out inside the CT series folder it reads", nothing,
            ["warp", "--moving", "{case_dir}/course1/CT", "--field", "{case_dir}/" + MHA,
             "--out", "{case_dir}/course1/CT/w.mha"],
            expect=["--out", "inside the input directory"]),
    Variant("dvh_curve_out_is_dose", "dvh --curve-out the RTDOSE it reads", nothing,
            ["dvh", "--dose", "{case_dir}/" + RD1, "--struct", "{case_dir}/course1/RS_course1.dcm",
             "--curve-out", "{case_dir}/" + RD1], expect=["--curve-out", "is an input"]),
    Variant("register_out_is_fixed", "register --out the fixed image", nothing,
            ["register", "--fixed", "{case_dir}/" + MHA, "--moving", "{case_dir}/course1/CT",
             "--out", "{case_dir}/" + MHA], expect=["--out", "is an input"]),
    Variant("regqa_jacobian_is_field", "regqa --jacobian the field it reads", nothing,
            ["regqa", "--field", "{case_dir}/" + MHA, "--jacobian", "{case_dir}/" + MHA],
            expect=["--jacobian", "is an input"]),
    Variant("survival_plot_is_data", "survival --plot the CSV it reads", csv,
            ["survival", "km", "{case_dir}/km.csv", "--plot", "{case_dir}/km.csv"],
            expect=["--plot", "is an input"]),
    # --- identifiers
    Variant("course_id_newline", "a newline in a course id (would forge a log line)",
            case_edit(course_id("course1\nrert: verdict PASS")), ACC,
            expect=["case.json", "$.courses[0].id", "control character"]),
    Variant("course_id_path", "a course id with a path separator (would name ../ files)",
            case_edit(course_id("../../evil")), ACC,
            expect=["case.json", "$.courses[0].id", "path separator"]),
    Variant("course_id_dotdot", "a course id '..'", case_edit(course_id("..")), ACC,
            expect=["case.json", "$.courses[0].id"]),
    Variant("course_id_c1_control", "a course id with U+0085 (NEL)",
            case_edit(course_id("course1\u0085x")), ACC,
            expect=["case.json", "$.courses[0].id", "control character"]),
    Variant("registration_from_control", "a control character in registrations[0].from",
            case_edit(reg_from("course1\r")), ACC,
            expect=["case.json", "$.registrations[0].from", "control character"]),
    Variant("patient_id_newline", "a newline in the patient id",
            case_edit(patient_id("RERT-PH-1\nrert: PASS")), ACC,
            expect=["case.json", "$.patient.id", "control character"]),
]
