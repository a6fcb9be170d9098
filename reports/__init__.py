"""Statistics, annual reports and the evaluation (统计年报、绩效考核): reads every domain, writes only its own."""
