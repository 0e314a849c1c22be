#!/usr/bin/env bash
# Throw-away Postfix on loopback for the milter integration test (docs/MILTER-PROTOCOL.md §7 gives the why of
# each setting).
#   testbed.sh start WORKDIR SMTP_PORT MILTER_PORT   configure and start; mail lands in WORKDIR/mail/test.local/<user>/,
#                                                    the log in /var/log/postfix-iys-testbed.log (Postfix only logs to
#                                                    files under maillog_file_prefixes, /var by default)
#   testbed.sh stop                                  stop
# It writes /etc/postfix/main.cf and master.cf only when main.cf is absent (Debian's "No configuration") or was
# written by this script, so it never overwrites a Postfix that is configured for real. Needs root.
set -euo pipefail
MARKER="# iys-filter milter test bed"
LOG=/var/log/postfix-iys-testbed.log

case "${1:-}" in
start)
    WORKDIR=$2 SMTP_PORT=$3 MILTER_PORT=$4
    if [ -f /etc/postfix/main.cf ] && ! head -1 /etc/postfix/main.cf | grep -qF "$MARKER"; then
        echo "testbed: /etc/postfix/main.cf exists and is not ours; refusing to overwrite it" >&2
        exit 3
    fi
    postfix status >/dev/null 2>&1 && postfix stop >/dev/null 2>&1 || true
    chmod 755 "$WORKDIR"
    install -d -o nobody -g nogroup "$WORKDIR/mail"
    cat > /etc/postfix/main.cf <<CF
$MARKER
compatibility_level = 3.6
myhostname = mx.test.local
mydomain = test.local
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = test.local
virtual_mailbox_base = $WORKDIR/mail
virtual_mailbox_maps = texthash:/etc/postfix/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
default_transport = discard:no-outbound-in-tests
relay_transport = discard:no-outbound-in-tests
maillog_file = $LOG
smtpd_milters = inet:127.0.0.1:$MILTER_PORT
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 30s
smtpd_banner = \$myhostname ESMTP test
biff = no
append_dot_mydomain = no
smtputf8_enable = no
CF
    cat > /etc/postfix/vmailbox <<'MAP'
alice@test.local  test.local/alice/
bob@test.local    test.local/bob/
carol@test.local  test.local/carol/
MAP
    cat > /etc/postfix/master.cf <<MCF
$MARKER
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
virtual   unix  - n n -  - virtual
smtp      unix  - - n -  - smtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
MCF
    touch /etc/aliases
    : > "$LOG"
    postfix check
    postfix start >/dev/null
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && { exec 3>&- 3<&-; exit 0; }
        sleep 0.1
    done
    echo "testbed: Postfix did not listen on $SMTP_PORT" >&2
    exit 1
    ;;
stop)
    postfix stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: testbed.sh start WORKDIR SMTP_PORT MILTER_PORT | stop" >&2
    exit 2
    ;;
esac
