/* vb_schema.h: RelaxNG validation against our schemas in data/schemas (compiled in) */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vb_error.h"

/* Checks @doc against data/schemas/<@kind>.rng ("domain", "network"). On failure raises
 * VB_ERR_XML_INVALID_SCHEMA naming the line and element at fault; nothing is printed. Each
 * schema is compiled once, on first use; safe to call from any thread. */
gboolean vb_schema_validate(const char *kind, xmlDocPtr doc, GError **error);
