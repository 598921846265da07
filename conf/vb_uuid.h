/* vb_uuid.h: UUID, MAC address and object-name helpers shared by every XML kind */
#pragma once

#include <glib.h>

#define VB_UUID_STRING_LEN 37   /* 36 characters and the NUL */
#define VB_MAC_STRING_LEN 18

/* Accepts libvirt's spellings (32 hex digits, with '-' or ' ' between groups) and writes
 * the canonical lowercase dashed form. */
gboolean vb_uuid_parse(const char *str, char out[VB_UUID_STRING_LEN]);
void vb_uuid_generate(char out[VB_UUID_STRING_LEN]);

/* Accepts aa:bb:cc:dd:ee:ff (or '-' separators, any case) and writes lowercase ':' form. */
gboolean vb_mac_parse(const char *str, char out[VB_MAC_STRING_LEN]);
/* A random address in QEMU/libvirt's 52:54:00 range. */
void vb_mac_generate(char out[VB_MAC_STRING_LEN]);
/* TRUE when the first octet has the multicast bit set. */
gboolean vb_mac_is_multicast(const char *mac);

/* libvirt's object-name rule: non-empty, no '/', no control characters. @what is the
 * object kind used in the message ("domain"). */
gboolean vb_name_validate(const char *name, const char *what, GError **error);
