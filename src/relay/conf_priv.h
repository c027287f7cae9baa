/*
 * conf_priv.h — what the configuration loader's files share (conf.c,
 * conf_opts.c, conf_check.c, conf_cert.c, conf_lex.c, conf_hint.c): the
 * table's types, the loader's state and its message helpers. Internal to
 * src/relay/conf*.c; everyone else includes relay/conf.h.
 */
#ifndef TERN_RELAY_CONF_PRIV_H
#define TERN_RELAY_CONF_PRIV_H

#include "relay/conf.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest dotted name shown in a message ("listen[12].alternate"). */
#define NAME_MAX_LEN 96

#define MAX_WORKERS 256

/* The settings in conf_opts.c's table (checked there at compile time). */
#define CONF_NOPTS 81

enum kind {
	K_GROUP,   /* a { } group of the settings named below it */
	K_LISTEN,  /* the ( ) list of listen groups */
	K_ADDR,	   /* a member of a listen group: a numeric address */
	K_BOOL,	   /* bool at off */
	K_UINT,	   /* unsigned at off */
	K_PORT,	   /* uint16_t at off */
	K_STRING,  /* char * at off; "" stores NULL */
	K_PATH,	   /* char * at off, made absolute against the file's folder */
	K_ENUM,	   /* one of choices, stored by set_enum */
	K_STRLIST, /* [ "...", ... ]: each element handed to o->elem */
	K_USERS,   /* the ( ) list of auth.users groups */
	K_UFIELD,  /* a member of a user group: char * in struct cfg_user */
	K_HEX,	   /* hex bytes (auth.nonce_secret) */
};

struct loader;

struct opt {
	const char *name; /* dotted; "listen.address" is a member of each
			     listen entry */
	enum kind kind;
	size_t off; /* in struct ternd_config; K_ADDR: in struct cfg_listen */
	long long min, max;
	const char *range;  /* the range as messages state it; NULL: min-max */
	long long def;	    /* K_BOOL, K_UINT, K_PORT */
	const char *defstr; /* K_STRING, K_PATH, K_ENUM */
	const char *const *choices; /* K_ENUM, NULL-terminated */
	void (*set_enum)(struct ternd_config *cfg, unsigned idx);
	unsigned maxchars; /* K_STRING: 0 = unlimited */
	/* K_STRLIST: take one element (a string; shown "relay.addresses[2]") */
	int (*elem)(struct loader *ld, const config_setting_t *s,
		    const char *shown, const char *v);
};

/* Where each listen entry and its members were written, for messages. */
struct listen_src {
	const config_setting_t *addr, *alt;
};

struct loader {
	struct ternd_config *cfg; /* being built; owned until handed out */
	const char *path;	  /* as the caller gave it */
	char *dir;		  /* absolute folder of path */
	char *err;
	size_t errlen;
	const config_setting_t *where[CONF_NOPTS]; /* NULL: default applies */
	struct listen_src *lsrc; /* one per cfg->listen entry, or NULL when
				    listen is the default */
	size_t cur;		 /* listen entry being read */
	const config_setting_t **usrc; /* where each auth.users entry is */
	size_t ucur;		       /* user entry being read */
	const char **files; /* @include files read, as libconfig names
			       them */
	size_t nfiles;
};

/* ---- conf.c: messages and files ----------------------------------------- */

/* Report "FILE:LINE: ..." (line 0: "FILE: ...") into the caller's err.
 * Returns EINVAL. */
int conf_fail_at(struct loader *ld, const char *file, unsigned line,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Report against setting s, or the file alone when the value came from a
 * default (s == NULL). Returns EINVAL. */
int conf_fail(struct loader *ld, const config_setting_t *s, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));

/* Report "out of memory". Returns ENOMEM. */
int conf_nomem(struct loader *ld);

/* A file name as libconfig reports it, made absolute against the main
 * file's folder when it is an @include's (written into buf). */
const char *conf_show_file(const struct loader *ld, const char *f, char *buf,
			   size_t size);

/* 0 when path is a regular file this process can open for reading, or the
 * errno that says why not (EINVAL: not a regular file). */
int conf_readable_file(const char *path);

/* conf_readable_file's answer in words. */
const char *conf_file_error(int e);

/* Read a whole file into a NUL-terminated buffer the caller frees. Returns
 * 0 or an errno. */
int conf_slurp(const char *path, char **out);

/* ---- conf_opts.c: the table of settings ---------------------------------- */

/* Fill ld->cfg with every default. Returns 0, or ENOMEM reported. */
int conf_set_defaults(struct loader *ld);

/* Read the members of group grp in file order into ld->cfg. key is the
 * group's name in the table, shown its name in messages; both NULL for the
 * top level. Returns 0 or EINVAL/ENOMEM reported. */
int conf_walk(struct loader *ld, const config_setting_t *grp, const char *key,
	      const char *shown);

/* The setting that gave option `name`, or NULL if its default applies. */
const config_setting_t *conf_src(const struct loader *ld, const char *name);

/* conf_src(a), else conf_src(b). */
const config_setting_t *conf_src2(const struct loader *ld, const char *a,
				  const char *b);

/* ---- conf_check.c, conf_cert.c: after the walk --------------------------- */

/* All-zero address (0.0.0.0, ::). */
bool conf_is_wildcard(const struct sa *a);

/* The checks that involve several settings, in the order of the file's
 * sections; fills in what they resolve (relay addresses, REST, TURN on).
 * Returns 0 or EINVAL/ENOMEM reported. */
int conf_check_settings(struct loader *ld);

/* Try the TLS files on a scratch context, so a bad certificate stops the
 * start with its file and line. Returns 0 or EINVAL/ENOMEM reported. */
int conf_check_tls(struct loader *ld);

/* ---- conf_lex.c, conf_hint.c: the file's text -----------------------------
 */

/* Scan the file and every file it included for what libconfig 1.5 lets by.
 * Returns 0 or EINVAL/ENOMEM reported. */
int conf_scan_files(struct loader *ld, const config_t *lc);

/* Report libconfig's parse error, with a hint at its cause when one is
 * likely. Returns EINVAL. */
int conf_syntax_error(struct loader *ld, const config_t *lc);

#endif
