"""Events themselves: create, publish, cancel and complete them; who may see or organise one."""
