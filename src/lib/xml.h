/* Just enough XML for AWS query (STS) and REST-XML (S3) responses:
 * finding elements by name and decoding their text. Namespaces prefixes,
 * comments, CDATA and processing instructions are skipped; no DTDs. */
#ifndef ECS_XML_H
#define ECS_XML_H

#include <stddef.h>

#include "buf.h"

/* Finds the first element named tag at or after *pos within [xml, xml+len)
 * and stores its inner bytes in [*inner, *inner + *inner_len); advances
 * *pos past the element. Returns 1 when found, 0 otherwise. */
int xml_find(const char *xml, size_t len, size_t *pos, const char *tag,
    const char **inner, size_t *inner_len);
/* Appends the decoded text (entities and character references resolved)
 * of the first element named tag. Returns 1 when found, and out->data is
 * then a string even when the element is empty. */
int xml_text(const char *xml, size_t len, const char *tag, struct buf *out);
/* Decodes entities in raw element text. */
void xml_decode(const char *s, size_t len, struct buf *out);

#endif
