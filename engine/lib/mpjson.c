/*
 * mpjson — msgpack-c's packer and unpacker over jansson values.
 */
#include "mpjson.h"
#include "util.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

void mpjson_pack(msgpack_packer *pk, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *item;
		msgpack_pack_map(pk, json_object_size(v));
		json_object_foreach((json_t *)v, key, item) {
			size_t n = strlen(key);
			msgpack_pack_str(pk, n);
			msgpack_pack_str_body(pk, key, n);
			mpjson_pack(pk, item);
		}
		break;
	}
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(v));
		for (size_t i = 0; i < json_array_size(v); i++)
			mpjson_pack(pk, json_array_get(v, i));
		break;
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(v));
		msgpack_pack_str_body(pk, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(v));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(v));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		break;
	}
}

char *mpjson_encode(const json_t *v, size_t *len)
{
	msgpack_sbuffer sbuf;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sbuf);
	msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
	mpjson_pack(&pk, v);
	*len = sbuf.size;
	char *out = xmalloc(sbuf.size ? sbuf.size : 1);
	memcpy(out, sbuf.data, sbuf.size);
	msgpack_sbuffer_destroy(&sbuf);
	return out;
}

static json_t *unpack(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return json_null();
	case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR: return json_stringn(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_ARRAY: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(a, unpack(&o->via.array.ptr[i]));
		return a;
	}
	case MSGPACK_OBJECT_MAP: {
		json_t *m = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			if (k->type != MSGPACK_OBJECT_STR)
				continue;
			char *key = xstrndup(k->via.str.ptr, k->via.str.size);
			json_object_set_new(m, key, unpack(&o->via.map.ptr[i].val));
			free(key);
		}
		return m;
	}
	default:
		return json_null();
	}
}

json_t *mpjson_decode(const void *data, size_t len)
{
	msgpack_unpacked result;
	size_t off = 0;
	msgpack_unpacked_init(&result);
	json_t *v = NULL;
	if (msgpack_unpack_next(&result, data, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len)
		v = unpack(&result.data);
	msgpack_unpacked_destroy(&result);
	return v;
}
