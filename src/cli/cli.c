/* cli.c — option parsing, help, man page and markdown generation from the command tables
 * (see cli.h). Exit codes: 0 ok, 1 verdict failure, 2 bad input, 3 internal error, 4 verdict incomplete. */
#include "cli/cli.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rert/data.h"
#include "rert/date.h"

#ifndef RERT_VERSION
#define RERT_VERSION "0.0.0"
#endif

#define MAX_VALUES 256

typedef struct {
  const rert_opt *opt;
  int given;
  int nvalues;
  const char *values[MAX_VALUES]; /* OPT_LIST: each item; others: last value */
} opt_state;

struct rert_args {
  const rert_cmd *cmd;
  int nopts;
  opt_state st[64];
  int npos;
  const char *pos[MAX_VALUES];
  int json;
  char *owned[MAX_VALUES]; /* split list items */
  int nowned;
};

static const rert_opt json_opt = {"json", OPT_FLAG, NULL, "print machine-readable JSON on stdout", NULL, 0};
static const rert_opt help_opt = {"help", OPT_FLAG, NULL, "show this help and exit", NULL, 0};

static const opt_state *find(const rert_args *a, const char *name) {
  for (int i = 0; i < a->nopts; i++)
    if (strcmp(a->st[i].opt->name, name) == 0) return &a->st[i];
  return NULL;
}

int cli_has(const rert_args *a, const char *name) {
  const opt_state *s = find(a, name);
  return s && s->given;
}
int cli_flag(const rert_args *a, const char *name) { return cli_has(a, name); }
int cli_json(const rert_args *a) { return a->json; }
const rert_cmd *cli_command(const rert_args *a) { return a->cmd; }
int cli_npos(const rert_args *a) { return a->npos; }
const char *cli_pos(const rert_args *a, int i) { return i >= 0 && i < a->npos ? a->pos[i] : NULL; }

const char *cli_str(const rert_args *a, const char *name) {
  const opt_state *s = find(a, name);
  if (!s) return NULL;
  if (s->given && s->nvalues) return s->values[s->nvalues - 1];
  return s->opt->def;
}

int cli_list_count(const rert_args *a, const char *name) {
  const opt_state *s = find(a, name);
  if (!s) return 0;
  if (s->given) return s->nvalues;
  return 0;
}

const char *cli_list_item(const rert_args *a, const char *name, int i) {
  const opt_state *s = find(a, name);
  if (!s || i < 0 || i >= s->nvalues) return NULL;
  return s->values[i];
}

int cli_parse_quantity(const char *s, const char *unit, int require_unit, const char *what,
                       double *out, rert_err *err) {
  if (!s || !*s) return rert_err_set(err, RERT_EINPUT, "%s: missing value", what);
  char *end;
  double v = strtod(s, &end);
  if (end == s || !isfinite(v))
    return rert_err_set(err, RERT_EINPUT, "%s: '%s' is not a number", what, s);
  while (*end == ' ') end++;
  double scale = 1.0;
  if (*end) {
    if (!unit || !*unit)
      return rert_err_set(err, RERT_EINPUT, "%s: '%s' must be a plain number (no unit)", what, s);
    if (strcasecmp(end, unit) == 0) {
      scale = 1.0;
    } else if (strcasecmp(unit, "Gy") == 0 &&
               (strcasecmp(end, "cGy") == 0)) {
      scale = 0.01;
    } else if (strcasecmp(unit, "Gy") == 0 &&
               (strcasecmp(end, "Gy(RBE)") == 0 || strcasecmp(end, "GyRBE") == 0 ||
                strcasecmp(end, "GyE") == 0)) {
      scale = 1.0;
    } else if (strcasecmp(unit, "h") == 0 && strcasecmp(end, "min") == 0) {
      scale = 1.0 / 60.0;
    } else if (strcasecmp(unit, "months") == 0 &&
               (strcasecmp(end, "mo") == 0 || strcasecmp(end, "month") == 0)) {
      scale = 1.0;
    } else if (strcasecmp(unit, "d") == 0 &&
               (strcasecmp(end, "days") == 0 || strcasecmp(end, "day") == 0)) {
      scale = 1.0;
    } else {
      return rert_err_set(err, RERT_EINPUT, "%s: unit '%s' in '%s' is not %s", what, end, s, unit);
    }
  } else if (require_unit && unit && *unit) {
    return rert_err_set(err, RERT_EINPUT, "%s: '%s' has no unit; write it as %s%s", what, s, s,
                        unit);
  }
  *out = v * scale;
  return RERT_OK;
}

int cli_num(const rert_args *a, const char *name, double *out, rert_err *err) {
  const opt_state *s = find(a, name);
  const char *v = cli_str(a, name);
  if (!s || !v) return rert_err_set(err, RERT_EINPUT, "--%s is required", name);
  char what[96];
  snprintf(what, sizeof what, "--%s", name);
  return cli_parse_quantity(v, s->opt->unit, s->opt->unit && *s->opt->unit && !s->opt->unit_in_name,
                            what, out, err);
}

int cli_int(const rert_args *a, const char *name, int *out, rert_err *err) {
  const char *v = cli_str(a, name);
  if (!v) return rert_err_set(err, RERT_EINPUT, "--%s is required", name);
  char *end;
  long x = strtol(v, &end, 10);
  if (end == v || *end || x < -1000000000L || x > 1000000000L)
    return rert_err_set(err, RERT_EINPUT, "--%s: '%s' is not an integer", name, v);
  *out = (int)x;
  return RERT_OK;
}

static const char *type_name(const rert_opt *o) {
  switch (o->type) {
    case OPT_FLAG: return "";
    case OPT_STR: return "TEXT";
    case OPT_INT: return "INT";
    case OPT_NUM: return "NUM";
    case OPT_DATE: return "YYYY-MM-DD";
    case OPT_LIST: return "LIST";
  }
  return "";
}

static void free_args(rert_args *a) {
  for (int i = 0; i < a->nowned; i++) free(a->owned[i]);
}

static int add_value(rert_args *a, opt_state *s, const char *v, rert_err *err) {
  if (s->opt->type == OPT_LIST) {
    if (strchr(v, ',')) {
      if (a->nowned >= MAX_VALUES)
        return rert_err_set(err, RERT_EINPUT, "--%s: too many values", s->opt->name);
      char *copy = strdup(v);
      a->owned[a->nowned++] = copy;
      for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (s->nvalues >= MAX_VALUES)
          return rert_err_set(err, RERT_EINPUT, "--%s: too many values", s->opt->name);
        s->values[s->nvalues++] = t;
      }
      return RERT_OK;
    }
    if (s->nvalues >= MAX_VALUES)
      return rert_err_set(err, RERT_EINPUT, "--%s: too many values", s->opt->name);
    s->values[s->nvalues++] = v;
    return RERT_OK;
  }
  s->values[0] = v;
  s->nvalues = 1;
  if (s->opt->type == OPT_DATE) {
    rert_date d;
    char what[96];
    snprintf(what, sizeof what, "--%s", s->opt->name);
    return date_parse(v, what, &d, err);
  }
  if (s->opt->type == OPT_INT) {
    char *end;
    strtol(v, &end, 10);
    if (end == v || *end)
      return rert_err_set(err, RERT_EINPUT, "--%s: '%s' is not an integer", s->opt->name, v);
  }
  if (s->opt->type == OPT_NUM) {
    double x;
    char what[96];
    snprintf(what, sizeof what, "--%s", s->opt->name);
    return cli_parse_quantity(v, s->opt->unit,
                              s->opt->unit && *s->opt->unit && !s->opt->unit_in_name, what, &x, err);
  }
  return RERT_OK;
}

static int parse(const rert_cmd *c, int argc, char **argv, rert_args *a, int *want_help,
                 rert_err *err) {
  memset(a, 0, sizeof *a);
  a->cmd = c;
  for (const rert_opt *o = c->opts; o && o->name; o++) a->st[a->nopts++].opt = o;
  a->st[a->nopts++].opt = &json_opt;
  a->st[a->nopts++].opt = &help_opt;
  int only_pos = 0;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (!only_pos && strcmp(arg, "--") == 0) {
      only_pos = 1;
      continue;
    }
    if (!only_pos && arg[0] == '-' && arg[1] == '-' && arg[2]) {
      char name[128];
      const char *eq = strchr(arg + 2, '=');
      size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
      if (len >= sizeof name) return rert_err_set(err, RERT_EINPUT, "unknown option %s", arg);
      memcpy(name, arg + 2, len);
      name[len] = 0;
      opt_state *s = NULL;
      for (int k = 0; k < a->nopts; k++)
        if (strcmp(a->st[k].opt->name, name) == 0) s = &a->st[k];
      if (!s)
        return rert_err_set(err, RERT_EINPUT, "%s: unknown option --%s (see rert %s --help)",
                            c->name, name, c->name);
      s->given = 1;
      if (s->opt->type == OPT_FLAG) {
        if (eq) return rert_err_set(err, RERT_EINPUT, "--%s takes no value", name);
        if (s->opt == &help_opt) *want_help = 1;
        if (s->opt == &json_opt) a->json = 1;
        continue;
      }
      const char *v = eq ? eq + 1 : NULL;
      if (!v) {
        if (i + 1 >= argc)
          return rert_err_set(err, RERT_EINPUT, "--%s needs a value (%s)", name, s->opt->help);
        v = argv[++i];
      }
      int rc = add_value(a, s, v, err);
      if (rc) return rc;
      continue;
    }
    if (!only_pos && arg[0] == '-' && arg[1] == 'h' && !arg[2]) {
      *want_help = 1;
      continue;
    }
    if (a->npos >= MAX_VALUES) return rert_err_set(err, RERT_EINPUT, "too many arguments");
    a->pos[a->npos++] = arg;
  }
  if (*want_help) return RERT_OK;
  if (a->npos < c->min_positional)
    return rert_err_set(err, RERT_EINPUT, "%s: missing argument (usage: rert %s %s)", c->name,
                        c->name, c->usage ? c->usage : "");
  if (c->max_positional >= 0 && a->npos > c->max_positional)
    return rert_err_set(err, RERT_EINPUT, "%s: unexpected argument '%s' (usage: rert %s %s)",
                        c->name, a->pos[c->max_positional], c->name, c->usage ? c->usage : "");
  return RERT_OK;
}

static const rert_cmd *lookup(const char *name) {
  for (int i = 0; rert_commands[i]; i++)
    if (strcmp(rert_commands[i]->name, name) == 0) return rert_commands[i];
  return NULL;
}

static void opt_line(const rert_opt *o, char *buf, size_t n) {
  if (o->type == OPT_FLAG)
    snprintf(buf, n, "--%s", o->name);
  else if (o->type == OPT_NUM && o->unit && *o->unit && !o->unit_in_name)
    snprintf(buf, n, "--%s NUM%s", o->name, o->unit);
  else
    snprintf(buf, n, "--%s %s", o->name, type_name(o));
}

/* Print text word-wrapped to `width` columns; continuation lines start with `indent` spaces
 * (the first line is assumed to start at column `col`). Counts UTF-8 code points, not bytes. */
static void print_wrapped(FILE *f, const char *text, int col, int indent, int width) {
  const char *p = text;
  while (*p) {
    const char *w = p;
    int len = 0;
    while (*w && *w != ' ' && *w != '\n') {
      if (((unsigned char)*w & 0xC0) != 0x80) len++;
      w++;
    }
    if (col > indent && col + 1 + len > width) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', f);
      col++;
    }
    fwrite(p, 1, (size_t)(w - p), f);
    col += len;
    p = w;
    if (*p == '\n') {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
      p++;
    }
    while (*p == ' ') p++;
  }
  fputc('\n', f);
}

void cli_print_command_help(const rert_cmd *c, FILE *f) {
  fprintf(f, "usage: rert %s%s%s [options]\n\n%s\n", c->name, c->usage && *c->usage ? " " : "",
          c->usage ? c->usage : "", c->summary);
  if (c->description && *c->description) {
    fputc('\n', f);
    print_wrapped(f, c->description, 0, 0, 79);
  }
  fprintf(f, "\noptions:\n");
  for (const rert_opt *o = c->opts; o && o->name; o++) {
    char l[128], h[1200];
    opt_line(o, l, sizeof l);
    snprintf(h, sizeof h, "%s%s%s%s%s", o->help, o->def ? " [default: " : "", o->def ? o->def : "",
             o->def ? "]" : "", o->type == OPT_LIST ? " (repeatable)" : "");
    int col = fprintf(f, "  %-28s", l);
    if (col > 30) {
      fprintf(f, "\n%*s", 31, "");
      col = 31;
    } else {
      fputc(' ', f);
      col++;
    }
    print_wrapped(f, h, col, 31, 79);
  }
  fprintf(f, "  %-28s %s\n  %-28s %s\n", "--json", json_opt.help, "--help", help_opt.help);
  if (c->examples && *c->examples) fprintf(f, "\nexamples:\n%s\n", c->examples);
  fprintf(f, "\nexit status: 0 ok, 1 verdict FAIL, 2 bad input, 3 internal error, 4 INCOMPLETE\n");
}

void cli_print_overview(FILE *f) {
  fprintf(f, "rert %s — re-irradiation dose accounting for head-and-neck cancer\n\n"
             "usage: rert COMMAND [options]   (rert COMMAND --help for details)\n\ncommands:\n",
          RERT_VERSION);
  for (int i = 0; rert_commands[i]; i++)
    fprintf(f, "  %-12s %s\n", rert_commands[i]->name, rert_commands[i]->summary);
  fprintf(f, "  %-12s %s\n", "help", "this overview; help --man / --markdown print the manual");
  fprintf(f, "\nexit status: 0 ok, 1 verdict FAIL, 2 bad input, 3 internal error, 4 INCOMPLETE\n");
}

static void roff_escape(FILE *f, const char *s) {
  for (; s && *s; s++) {
    if (*s == '\\') fputs("\\e", f);
    else if (*s == '-') fputs("\\-", f);
    else fputc(*s, f);
  }
}

static void roff_text(FILE *f, const char *s) {
  /* lines starting with '.' or '\'' would be read as requests */
  int bol = 1;
  for (; s && *s; s++) {
    if (bol && (*s == '.' || *s == '\'')) fputs("\\&", f);
    bol = *s == '\n';
    if (*s == '\\') fputs("\\e", f);
    else if (*s == '-') fputs("\\-", f);
    else fputc(*s, f);
  }
}

void cli_print_man(FILE *f) {
  fprintf(f, ".TH RERT 1 \"\" \"rert %s\" \"User Commands\"\n.SH NAME\nrert \\- re-irradiation "
             "dose accounting for head-and-neck cancer\n.SH SYNOPSIS\n.B rert\n.I COMMAND\n"
             "[options]\n.SH DESCRIPTION\nrert reads prior and planned radiotherapy courses, converts "
             "doses to BED/EQD2, applies tissue recovery, sums courses and checks published "
             "re-irradiation constraints.\n.SH COMMANDS\n",
          RERT_VERSION);
  for (int i = 0; rert_commands[i]; i++) {
    const rert_cmd *c = rert_commands[i];
    fprintf(f, ".SS rert %s ", c->name);
    roff_escape(f, c->usage);
    fprintf(f, "\n");
    roff_text(f, c->summary);
    fprintf(f, "\n");
    if (c->description && *c->description) {
      fprintf(f, ".PP\n");
      roff_text(f, c->description);
      fprintf(f, "\n");
    }
    for (const rert_opt *o = c->opts; o && o->name; o++) {
      char l[128];
      opt_line(o, l, sizeof l);
      fprintf(f, ".TP\n.B ");
      roff_escape(f, l);
      fprintf(f, "\n");
      roff_text(f, o->help);
      if (o->def) {
        fprintf(f, " [default: ");
        roff_escape(f, o->def);
        fprintf(f, "]");
      }
      fprintf(f, "\n");
    }
    fprintf(f, ".TP\n.B \\-\\-json\n%s\n", json_opt.help);
    if (c->examples && *c->examples) {
      fprintf(f, ".PP\nExamples:\n.nf\n");
      roff_text(f, c->examples);
      fprintf(f, "\n.fi\n");
    }
  }
  fprintf(f, ".SH EXIT STATUS\n0 ok; 1 a constraint or clinical verdict failed; 2 bad input (file, "
             "field, option, unit, interlock); 3 internal error; 4 verdict INCOMPLETE (a mandatory constraint or check could not be evaluated; never a PASS).\n.SH ENVIRONMENT\n.TP\n"
             ".B RERT_DATA_DIR\ndirectory of the JSON data tables (tissues, protocols, recovery "
             "models).\n");
}

void cli_print_markdown(FILE *f) {
  fprintf(f, "<!-- generated by `rert help --markdown` from the command tables; do not edit -->\n");
  fprintf(f, "| command | what it does |\n|---|---|\n");
  for (int i = 0; rert_commands[i]; i++)
    fprintf(f, "| `rert %s` | %s |\n", rert_commands[i]->name, rert_commands[i]->summary);
  for (int i = 0; rert_commands[i]; i++) {
    const rert_cmd *c = rert_commands[i];
    fprintf(f, "\n### `rert %s%s%s`\n\n%s\n", c->name, c->usage && *c->usage ? " " : "",
            c->usage ? c->usage : "", c->summary);
    if (c->description && *c->description) fprintf(f, "\n%s\n", c->description);
    fprintf(f, "\n| option | default | meaning |\n|---|---|---|\n");
    for (const rert_opt *o = c->opts; o && o->name; o++) {
      char l[128];
      opt_line(o, l, sizeof l);
      fprintf(f, "| `%s` | %s | %s%s |\n", l, o->def ? o->def : "", o->help,
              o->type == OPT_LIST ? " (repeatable)" : "");
    }
    fprintf(f, "| `--json` | | %s |\n", json_opt.help);
    if (c->examples && *c->examples) fprintf(f, "\n```sh\n%s\n```\n", c->examples);
  }
  fprintf(f, "\nExit status: 0 ok, 1 constraint/verdict failure, 2 bad input, 3 internal error, 4 verdict INCOMPLETE (a mandatory constraint or check could not be evaluated; never a PASS).\n");
}

/* One JSON document per command, whatever happens: while a command runs, its document is held
 * here and printed by cli_main when the command returns — with "error" and "exit_code" added if
 * the command then failed (e.g. `rert dvh --json` with a ROI that cannot be computed), never a
 * second document. A second cli_print_json call in one run merges its keys into the first. */
static int g_json_defer;
static cJSON *g_json_pending;

static void json_emit(cJSON *root) {
  if (!cJSON_GetObjectItemCaseSensitive(root, "rert_version"))
    cJSON_AddStringToObject(root, "rert_version", RERT_VERSION);
  char *s = json_print_full(root, 1);
  if (s) {
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
  }
  cJSON_Delete(root);
}

void cli_print_json(cJSON *root) {
  if (!root) return;
  if (!g_json_defer) {
    json_emit(root);
    return;
  }
  if (!g_json_pending || !cJSON_IsObject(g_json_pending) || !cJSON_IsObject(root)) {
    cJSON_Delete(g_json_pending);
    g_json_pending = root;
    return;
  }
  while (root->child) {
    cJSON *it = cJSON_DetachItemViaPointer(root, root->child);
    cJSON_DeleteItemFromObjectCaseSensitive(g_json_pending, it->string);
    cJSON_AddItemToObject(g_json_pending, it->string, it);
  }
  cJSON_Delete(root);
}

static int run_help(int argc, char **argv) {
  if (argc >= 1 && strcmp(argv[0], "--man") == 0) {
    cli_print_man(stdout);
    return 0;
  }
  if (argc >= 1 && strcmp(argv[0], "--markdown") == 0) {
    cli_print_markdown(stdout);
    return 0;
  }
  if (argc >= 1 && argv[0][0] != '-') {
    const rert_cmd *c = lookup(argv[0]);
    if (!c) {
      fprintf(stderr, "rert: unknown command '%s' (see rert help)\n", argv[0]);
      return RERT_EINPUT;
    }
    cli_print_command_help(c, stdout);
    return 0;
  }
  cli_print_overview(stdout);
  return 0;
}

static int argv_has_json(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "--json") == 0) return 1;
  return 0;
}

static void report_error(int json, int code, const rert_err *err) {
  /* one line whatever the message echoes from a file (names, ids): control characters become
   * spaces, so an input can never forge a second log line */
  char line[sizeof err->msg];
  snprintf(line, sizeof line, "%s", err->msg[0] ? err->msg : "failed");
  for (char *p = line; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
  fprintf(stderr, "rert: %s\n", line);
  if (json) {
    /* the error joins the command's document when it already produced one */
    cJSON *o = g_json_pending ? g_json_pending : cJSON_CreateObject();
    g_json_pending = NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "error");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "exit_code");
    cJSON_AddStringToObject(o, "error", err->msg);
    cJSON_AddNumberToObject(o, "exit_code", code);
    json_emit(o);
  }
}

int cli_main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0)
    return run_help(argc > 2 ? argc - 2 : 0, argv + 2);
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("rert %s\n", RERT_VERSION);
    return 0;
  }
  const rert_cmd *c = lookup(argv[1]);
  rert_err err = {{0}};
  if (!c) {
    rert_err_set(&err, RERT_EINPUT, "unknown command '%s' (see rert help)", argv[1]);
    report_error(argv_has_json(argc, argv), RERT_EINPUT, &err);
    return RERT_EINPUT;
  }
  rert_args *a = calloc(1, sizeof *a);
  if (!a) return RERT_EINTERNAL;
  int want_help = 0;
  int rc = parse(c, argc - 2, argv + 2, a, &want_help, &err);
  if (rc == RERT_OK && want_help) {
    if (a->json) {
      /* --help --json: still one JSON document */
      char *txt = NULL;
      size_t len = 0;
      FILE *m = open_memstream(&txt, &len);
      if (m) {
        cli_print_command_help(c, m);
        fclose(m);
      }
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "command", c->name);
      cJSON_AddStringToObject(o, "help", txt ? txt : "");
      free(txt);
      json_emit(o);
    } else {
      cli_print_command_help(c, stdout);
    }
    free_args(a);
    free(a);
    return 0;
  }
  g_json_defer = 1;
  if (rc == RERT_OK) rc = c->run(a, &err);
  g_json_defer = 0;
  /* FAIL (1) and INCOMPLETE (4) are verdicts the command reported, not errors */
  if (rc < 0 || rc > RERT_EINCOMPLETE) rc = RERT_EINTERNAL;
  if (rc != RERT_OK && rc != RERT_EVERDICT && rc != RERT_EINCOMPLETE) {
    if (!err.msg[0]) rert_err_set(&err, rc, "failed");
    report_error(a->json || argv_has_json(argc, argv), rc, &err);
  }
  if (g_json_pending) json_emit(g_json_pending);
  g_json_pending = NULL;
  free_args(a);
  free(a);
  fflush(stdout);
  return rc;
}
