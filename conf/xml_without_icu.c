/* xml_without_icu.c: the ICU converter entry points of a statically linked libxml2, all refusing.
 *
 * Debian's libxml2 is built with ICU, and loading it drags libicuuc, libicudata and libstdc++ (with
 * its static initialisers) into the daemon: about 2 MB of idle RSS for converters we never use.
 * libxml2 asks ICU only for an encoding that neither its built-in handlers nor glibc's iconv know
 * (it tries those first), so answering "unsupported" here loses nothing a domain or network XML
 * can contain. Only ucnv_open is ever reached; the rest exist for the linker and keep ICU's contract. */
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

UConverter *
ucnv_open(const char *converterName, UErrorCode *err)
{
    *err = U_FILE_ACCESS_ERROR;   /* ICU's own answer for an unknown converter name */
    return NULL;
}

void
ucnv_close(UConverter *converter)
{
}

void
ucnv_setToUCallBack(UConverter *converter, UConverterToUCallback newAction, const void *newContext,
                    UConverterToUCallback *oldAction, const void **oldContext, UErrorCode *err)
{
    *err = U_UNSUPPORTED_ERROR;
}

void
ucnv_setFromUCallBack(UConverter *converter, UConverterFromUCallback newAction, const void *newContext,
                      UConverterFromUCallback *oldAction, const void **oldContext, UErrorCode *err)
{
    *err = U_UNSUPPORTED_ERROR;
}

void
ucnv_convertEx(UConverter *targetCnv, UConverter *sourceCnv, char **target, const char *targetLimit,
               const char **source, const char *sourceLimit, UChar *pivotStart, UChar **pivotSource,
               UChar **pivotTarget, const UChar *pivotLimit, UBool reset, UBool flush, UErrorCode *pErrorCode)
{
    *pErrorCode = U_UNSUPPORTED_ERROR;
}

void
UCNV_FROM_U_CALLBACK_STOP(const void *context, UConverterFromUnicodeArgs *fromUArgs, const UChar *codeUnits,
                          int32_t length, UChar32 codePoint, UConverterCallbackReason reason, UErrorCode *err)
{
}

void
UCNV_TO_U_CALLBACK_STOP(const void *context, UConverterToUnicodeArgs *toUArgs, const char *codeUnits,
                        int32_t length, UConverterCallbackReason reason, UErrorCode *err)
{
}
