# ternd-conf.sed: the reference etc/ternd.conf -> the packaged
# /etc/ternd/ternd.conf (used by debian/rules, which checks that every change
# below took effect).

1i\
# Debian: this is the reference configuration of ternd with three changes:\
# no example TURN user (TURN stays off until you add users or secrets in the\
# auth group), TLS and DTLS off until /etc/ternd/tls/ holds a certificate,\
# and user/group "ternd" for a start as root outside systemd. See\
# /usr/share/doc/ternd/README.Debian.\


# The example user and the warning about it.
/^ *# !!! /d
/password = "tern-local-only"/d
/^  users = ($/i\
  # Debian: none. Add users here, or secrets below; see README.Debian.

# A start as root (not under systemd, whose unit sets User=ternd) drops to
# the package's system user.
s/^# user = "ternd";$/user = "ternd";/
s/^# group = "ternd";$/group = "ternd";/

# TLS and DTLS need a certificate the package cannot know.
/^ports = {$/,/^};$/{
	/^  tls = 5349;$/i\
  # Debian: off until /etc/ternd/tls/ternd.crt and ternd.key exist.
	s/^  tls = 5349;$/  tls = 0;/
	/^  dtls = 5349;$/i\
  # Debian: off until /etc/ternd/tls/ternd.crt and ternd.key exist.
	s/^  dtls = 5349;$/  dtls = 0;/
}
