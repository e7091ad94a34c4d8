/* rpc_ops.c: names of the rpc ops, for logs. */
#include "rpc_ops.h"

const char *rpc_op_name(unsigned op)
{
	switch (op) {
#define RPC_OP_NAME(name, num, owner)                                                              \
	case num:                                                                                  \
		return #name;
		RPC_OPS(RPC_OP_NAME)
#undef RPC_OP_NAME
	}
	return "UNKNOWN";
}
