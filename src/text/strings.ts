/**
 * Every fixed word of the report, the alerts and the comparison's reasons, in one table: English
 * and 简体中文. `{name}` placeholders take pre-formatted values (numbers are formatted the same in
 * both languages). compare/ builds its reasons from these keys so the report can re-render them.
 */
export type Lang = 'en' | 'zh';

export const STRINGS = {
  // reasons (compare/)
  'reason.noBaseline': { en: 'no baseline', zh: '无基线' },
  'reason.missingBaseline': { en: 'not in the baseline', zh: '基线中没有此指标' },
  'reason.missingCurrent': { en: 'not measured in this run', zh: '本次运行未测得' },
  'reason.growthTooFew': {
    en: 'not measured in this run: too few memory samples for a growth figure (≥ {n} needed)',
    zh: '本次运行未测得：内存采样过少，无法计算增长（至少需要 {n} 个）',
  },
  'reason.noMemorySamples': { en: 'not measured in this run: no memory samples', zh: '本次运行未测得：没有内存采样' },
  'reason.notFiniteBaseline': { en: 'baseline is not a finite number ({value})', zh: '基线值不是有限数（{value}）' },
  'reason.notFiniteCurrent': { en: 'this run is not a finite number ({value})', zh: '本次值不是有限数（{value}）' },
  'reason.notJudged': { en: 'not judged', zh: '未判定' },
  'reason.noThreshold': { en: 'no threshold', zh: '未设阈值' },
  'reason.noise': { en: 'noise (≤ {level})', zh: '噪声（≤ {level}）' },
  'reason.within': { en: 'within {level}', zh: '在 {level} 以内' },
  'reason.improvement': { en: 'improvement', zh: '改进' },
  'reason.dropOver': { en: 'drop > {level}', zh: '下降 > {level}' },
  'reason.riseOver': { en: 'increase > {level}', zh: '增长 > {level}' },
  'reason.between': { en: '{from}–{to}', zh: '{from}–{to}' },
  'reason.intervalOver': { en: 'whole interval > {level}: {lo} … {hi}', zh: '整个区间 > {level}：{lo} … {hi}' },
  'reason.intervalWide': { en: 'interval too wide: {lo} … {hi}', zh: '区间过宽：{lo} … {hi}' },
  'reason.noSlowdownShown': { en: 'no slowdown shown: interval reaches {lo}', zh: '未显示变慢：区间下限 {lo}' },
  'reason.reachesFail': { en: 'beyond noise, reaching > {level}: {lo} … {hi}', zh: '超出噪声，可能 > {level}：{lo} … {hi}' },
  'reason.mayExceed': { en: 'slower, may exceed {level}: {lo} … {hi}', zh: '变慢，可能超过 {level}：{lo} … {hi}' },
  'reason.unstableCurrent': {
    en: 'rounds unstable (this run): last {n} round medians differ by {spread} > {limit}',
    zh: '轮次不稳定（本次）：最后 {n} 轮中位数相差 {spread} > {limit}',
  },
  'reason.unstableBaseline': {
    en: 'rounds unstable (baseline): last {n} round medians differ by {spread} > {limit}',
    zh: '轮次不稳定（基线）：最后 {n} 轮中位数相差 {spread} > {limit}',
  },
  'reason.confirmed': { en: 'confirmed by {n} interleaved A/B pairs on this runner', zh: '经本机 {n} 对交替 A/B 确认' },
  'reason.notConfirmedAB': { en: 'not confirmed by {n} interleaved A/B pairs on this runner', zh: '本机 {n} 对交替 A/B 未能确认' },
  'reason.abRefused': {
    en: 'A/B confirmation refused: {why}; the stored verdict stands',
    zh: 'A/B 确认被拒绝：{why}；保留与存储基线比较的判定',
  },
  'reason.abVoid': { en: 'A/B confirmation void: {why}; the stored verdict stands', zh: 'A/B 确认无效：{why}；保留与存储基线比较的判定' },
  'reason.historyNoise': { en: 'noise band {level} from the last {n} baselines', zh: '噪声带 {level}（来自最近 {n} 个基线）' },
  'reason.belowFloor': { en: 'only {change} (≤ {floor})', zh: '仅 {change}（≤ {floor}）' },
  'reason.leak': { en: 'leak suspect: ≥ {lo} > {level}', zh: '疑似泄漏：≥ {lo} > {level}' },
  'reason.leakNotShown': {
    en: 'no leak shown: the slope’s 95 % interval {lo} … {hi} reaches below {level}',
    zh: '未证实泄漏：斜率的 95 % 区间 {lo} … {hi} 低于 {level}',
  },
  'reason.baselineZero': {
    en: 'baseline 0: relative change undefined, judged on the absolute change',
    zh: '基线为 0：相对变化无定义，按绝对变化判断',
  },
  'reason.chance': { en: 'could be chance ({p})', zh: '可能是偶然（{p}）' },
  'reason.smallSet': {
    en: '{n} samples: 1 sample = {step} > {level}, ≥ {need} needed',
    zh: '{n} 个样本：1 个样本 = {step} > {level}，至少需要 {need} 个',
  },
  'reason.unpaired': { en: 'different samples: no paired test', zh: '样本不同：无配对检验' },
  'reason.incomparable': {
    en: "environment differs from the baseline's: {fields} — numbers shown for information, not judged",
    zh: '环境与基线不同：{fields} —— 数字仅供参考，未判定',
  },
  'reason.baselineUnreadable': { en: 'baseline unreadable: {message}', zh: '基线无法读取：{message}' },
  'reason.allWithin': { en: 'all {n} metrics within thresholds', zh: '全部 {n} 项指标在阈值以内' },
  'reason.rowsFailed': { en: '{n} regressed: {what}', zh: '{n} 项退化：{what}' },
  'reason.rowsInconclusive': { en: '{n} inconclusive: {what}', zh: '{n} 项不确定：{what}' },
  'reason.rowsWarned': { en: '{n} warned: {what}', zh: '{n} 项警告：{what}' },

  // the comment
  'verdict.pass': { en: 'pass', zh: '通过' },
  'verdict.warn': { en: 'warning', zh: '警告' },
  'verdict.fail': { en: 'regression', zh: '退化' },
  'verdict.inconclusive': { en: 'inconclusive', zh: '不确定' },
  'verdict.incomparable': { en: 'incomparable environment', zh: '环境不可比' },
  'verdict.no-baseline': { en: 'no baseline yet', zh: '尚无基线' },
  'verdict.unreadable': { en: 'baseline unreadable', zh: '基线无法读取' },
  'count.regression.one': { en: '{n} regression', zh: '{n} 项退化' },
  'count.regression.other': { en: '{n} regressions', zh: '{n} 项退化' },
  'count.warning.one': { en: '{n} warning', zh: '{n} 项警告' },
  'count.warning.other': { en: '{n} warnings', zh: '{n} 项警告' },
  'count.inconclusive': { en: '{n} inconclusive', zh: '{n} 项不确定' },
  'sep.list': { en: ', ', zh: '，' },
  'col.model': { en: 'model', zh: '模型' },
  'col.metric': { en: 'metric', zh: '指标' },
  'col.baseline': { en: 'baseline', zh: '基线' },
  'col.current': { en: 'this PR', zh: '本 PR' },
  'col.change': { en: 'change', zh: '变化' },
  'variants.title': {
    en: '{model} — {n} variants, side by side (this PR, change vs. its own baseline)',
    zh: '{model} — {n} 个变体并列（本 PR，相对各自基线的变化）',
  },
  'variants.why': { en: '{variant} · {metric}: {reason}', zh: '{variant} · {metric}：{reason}' },
  'baseline.against': { en: 'Against baseline {commit} ({branch}, {date})', zh: '对比基线 {commit}（{branch}，{date}）' },
  'baseline.sameEnv': { en: ', same environment: {env}', zh: '，环境相同：{env}' },
  'baseline.env': { en: 'Environment: {env}', zh: '环境：{env}' },
  'baseline.none': {
    en: 'no baseline yet — this run becomes the baseline when it lands on the default branch',
    zh: '尚无基线 —— 本次运行合入默认分支后即成为基线',
  },
  'baseline.nonePromoted': { en: 'no baseline yet — this run is now the baseline', zh: '尚无基线 —— 本次运行已成为基线' },
  'baseline.noneForPromoted': {
    en: '{model}: no baseline yet — this run is now the baseline',
    zh: '{model}：尚无基线 —— 本次运行已成为基线',
  },
  'baseline.noneFor': {
    en: '{model}: no baseline yet — this run becomes the baseline when it lands on the default branch',
    zh: '{model}：尚无基线 —— 本次运行合入默认分支后即成为基线',
  },
  'incomparable.title': {
    en: '{model}: not compared, the environment differs from the baseline’s:',
    zh: '{model}：未比较，环境与基线不同：',
  },
  'incomparable.field': { en: '{field}: baseline {baseline} → this run {current}', zh: '{field}：基线 {baseline} → 本次 {current}' },
  'unreadable.title': { en: '{model}: {reason}', zh: '{model}：{reason}' },
  'env.driver': { en: 'driver {v}', zh: '驱动 {v}' },
  'env.cuda': { en: 'CUDA {v}', zh: 'CUDA {v}' },
  'env.paddle': { en: 'Paddle {v}', zh: 'Paddle {v}' },
  'env.image': { en: 'image {v}', zh: '镜像 {v}' },
  'details.measured': { en: 'How this was measured', zh: '测量方式' },
  'details.shards': { en: 'measured in {n} shards side by side, merged into this one report', zh: '分 {n} 个分片并行测量，合并为本报告' },
  'details.warmup': { en: 'warm-up {n}', zh: '预热 {n} 次' },
  'details.rounds': { en: '{rounds} rounds × {iterations} iterations', zh: '{rounds} 轮 × {iterations} 次迭代' },
  'details.batch': { en: 'batch {n}', zh: '批大小 {n}' },
  'details.samples': { en: '{n} samples', zh: '{n} 个样本' },
  'details.wrong': { en: 'Wrong predictions: {model} ({shown} of {total})', zh: '错误预测：{model}（{total} 条中的 {shown} 条）' },
  'details.warnings': { en: 'Warnings ({n})', zh: '警告（{n}）' },
  'trend.summary': {
    en: 'Latency p50 trend: {model} (last {n} baselines and this run)',
    zh: '延迟 p50 趋势：{model}（最近 {n} 个基线与本次）',
  },
  'trend.metric': { en: 'latency p50 (ms)', zh: '延迟 p50 (ms)' },
  'trend.thisRun': { en: 'this run', zh: '本次' },
  'wrong.sample': { en: 'sample', zh: '样本' },
  'wrong.label': { en: 'label', zh: '标注' },
  'wrong.prediction': { en: 'prediction', zh: '预测' },
  promotion: { en: 'Baseline: {message}', zh: '基线：{message}' },
  // alerts (notify/)
  'alert.pr': { en: 'pull request', zh: '拉取请求' },
  'alert.runLog': { en: 'run log', zh: '运行日志' },
  'alert.more': { en: 'and {n} more', zh: '另有 {n} 项' },
  // mode: comment-from-artifact (the fork pattern's second half)
  'artifact.notice': {
    en: '[!WARNING]\nThese figures come from the pull request’s own workflow run{run} and are **not verified**: on a PR from a fork, the PR’s code and its copy of the workflow produced them. This comment passes or fails nothing; the required check comes from a trusted run.',
    zh: '[!WARNING]\n以下数据来自该拉取请求自身的工作流运行{run}，**未经验证**：对来自 fork 的 PR，这些数据由 PR 的代码及其自带的工作流产生。本评论不决定检查通过与否；必需检查应来自可信的运行。',
  },
  'artifact.run': { en: ' ([run {id}]({url}))', zh: '（[运行 {id}]({url})）' },
  'artifact.details': { en: 'figures from the PR’s workflow run: {url}', zh: '数据来自 PR 的工作流运行：{url}' },
  'cut.note': {
    en: '✂️ Cut to fit {max} characters: {what}. The full report is in the JSON output.',
    zh: '✂️ 为符合 {max} 字符上限已截断：{what}。完整报告见 JSON 输出。',
  },
  'cut.details': { en: 'details left out', zh: '已省略详情' },
  'cut.passing': { en: '{n} passing rows left out', zh: '已省略 {n} 行通过的指标' },
  'cut.rows': { en: '{n} rows left out', zh: '已省略 {n} 行' },
  'cut.text': { en: 'text cut', zh: '正文已截断' },

  // metric labels by metric id (measure/ sets the English label; unknown ids keep theirs)
  'metric.accuracy.line': { en: 'line accuracy', zh: '行准确率' },
  'metric.accuracy.edit': { en: 'edit-distance accuracy', zh: '编辑距离准确率' },
  'metric.accuracy.top1': { en: 'top-1 accuracy', zh: 'Top-1 准确率' },
  'metric.accuracy.top5': { en: 'top-5 accuracy', zh: 'Top-5 准确率' },
  'metric.latency.mean': { en: 'latency mean', zh: '平均延迟' },
  'metric.latency.p50': { en: 'latency p50', zh: '延迟 p50' },
  'metric.latency.p90': { en: 'latency p90', zh: '延迟 p90' },
  'metric.latency.p99': { en: 'latency p99', zh: '延迟 p99' },
  'metric.throughput': { en: 'throughput', zh: '吞吐量' },
  'metric.memory.rss.peak': { en: 'RSS, peak', zh: '内存 RSS 峰值' },
  'metric.memory.gpu.peak': { en: 'GPU memory, peak', zh: '显存峰值' },
  'metric.memory.rss.growth': { en: 'RSS, growth', zh: '内存 RSS 增长' },
  'metric.memory.gpu.growth': { en: 'GPU memory, growth', zh: '显存增长' },
} as const satisfies Record<string, Record<Lang, string>>;

export type StringKey = keyof typeof STRINGS;

export function isStringKey(key: string): key is StringKey {
  return Object.hasOwn(STRINGS, key);
}

/** The text of `key` in `lang` with `{name}` placeholders filled (a missing arg stays visible). */
export function t(lang: Lang, key: StringKey, args: Record<string, string | number> = {}): string {
  return STRINGS[key][lang].replace(/\{(\w+)\}/g, (whole, name: string) => (name in args ? String(args[name]) : whole));
}
