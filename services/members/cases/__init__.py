"""Member reports worked as cases (举报 → 处理): filing, the enforcers' queue, resolutions."""
