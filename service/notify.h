/* notify.h: systemd's readiness protocol (sd_notify), without libsystemd */
#pragma once

#include <glib.h>

/* Sends @state ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET; does nothing when it is unset.
 * Failures are logged, never fatal: the service works the same without a supervisor. */
void vb_notify(const char *state);
