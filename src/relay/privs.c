/* privs.c — see privs.h. */
#include "relay/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/log.h"

/* Who to become, looked up before anything changes. */
struct target {
	char user[65];
	uid_t uid;
	gid_t gid;
};

static int lookup(const struct ternd_config *cfg, struct target *t, char *err,
		  size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	pw = getpwnam(cfg->run_user);
	if (!pw) {
		snprintf(err, errlen, "user '%s' (the `user` setting): %s",
			 cfg->run_user,
			 errno ? strerror(errno) : "no such user");
		return errno ? errno : ENOENT;
	}
	snprintf(t->user, sizeof(t->user), "%s", pw->pw_name);
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	if (!cfg->run_group)
		return 0;
	errno = 0;
	gr = getgrnam(cfg->run_group);
	if (!gr) {
		snprintf(err, errlen, "group '%s' (the `group` setting): %s",
			 cfg->run_group,
			 errno ? strerror(errno) : "no such group");
		return errno ? errno : ENOENT;
	}
	t->gid = gr->gr_gid;
	return 0;
}

/* Started without root (a unit's User=): `user` and `group` may only
 * name who we already are. */
static int check_unprivileged(const struct ternd_config *cfg,
			      const struct target *t, char *err, size_t errlen)
{
	if (t->uid == geteuid() && (!cfg->run_group || t->gid == getegid()))
		return 0;
	snprintf(err, errlen,
		 "user '%s' is set (uid %u gid %u), but ternd runs as uid %u "
		 "gid %u and is not root, so it cannot switch: start it as "
		 "root, or as that user, or remove `user`",
		 t->user, (unsigned)t->uid, (unsigned)t->gid,
		 (unsigned)geteuid(), (unsigned)getegid());
	return EPERM;
}

/* Groups first: once the user id is dropped, they cannot be changed. */
static int become(const struct target *t, char *err, size_t errlen)
{
	const char *what;

	if (initgroups(t->user, t->gid) < 0)
		what = "initgroups";
	else if (setgid(t->gid) < 0)
		what = "setgid";
	else if (setuid(t->uid) < 0)
		what = "setuid";
	else
		return 0;
	snprintf(err, errlen, "dropping privileges to user '%s': %s: %s",
		 t->user, what, strerror(errno));
	return errno ? errno : EPERM;
}

int privs_check(const struct ternd_config *cfg, char *err, size_t errlen)
{
	struct target t;
	int rc;

	if (!cfg->run_user)
		return 0;
	if ((rc = lookup(cfg, &t, err, errlen)))
		return rc;
	return geteuid() ? check_unprivileged(cfg, &t, err, errlen) : 0;
}

int privs_drop(const struct ternd_config *cfg, char *err, size_t errlen)
{
	struct target t;
	int rc;

	if (!cfg->run_user) {
		if (geteuid() == 0)
			log_warn("ternd runs as root: set `user` in %s to drop "
				 "privileges once the sockets are bound",
				 cfg->path);
		return 0;
	}
	if ((rc = lookup(cfg, &t, err, errlen)))
		return rc;
	if (geteuid() != 0)
		return check_unprivileged(cfg, &t, err, errlen);
	if (t.uid == 0 || t.gid == 0) {
		snprintf(err, errlen,
			 "user '%s' or its group is root: name an unprivileged "
			 "user and group",
			 t.user);
		return EINVAL;
	}
	if ((rc = become(&t, err, errlen)))
		return rc;
	/* for good: a process that can get root back has dropped nothing */
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 ||
	    setegid(0) == 0) {
		snprintf(err, errlen,
			 "dropped to user '%s', but could become root again",
			 t.user);
		return EPERM;
	}
	log_info("running as user %s (uid %u, gid %u)", t.user, (unsigned)t.uid,
		 (unsigned)t.gid);
	return 0;
}
