/**
 * Every fixed word of the report, the alerts and the comparison's reasons, in one table: English
 * and 简体中文. `{name}` placeholders take pre-formatted values (numbers are formatted the same in
 * both languages). compare/ builds its reasons from these keys so the report can re-render them.
 */
import { isSingular } from '../plural.js';

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
    en: 'rounds unstable (this run): last {n} {n|round median differs|round medians differ} by {spread} > {limit}',
    zh: '轮次不稳定（本次）：最后 {n} 轮中位数相差 {spread} > {limit}',
  },
  'reason.unstableBaseline': {
    en: 'rounds unstable (baseline): last {n} {n|round median differs|round medians differ} by {spread} > {limit}',
    zh: '轮次不稳定（基线）：最后 {n} 轮中位数相差 {spread} > {limit}',
  },
  'reason.confirmed': { en: 'confirmed by {n} interleaved A/B {n|pair|pairs} on this runner', zh: '经本机 {n} 对交替 A/B 确认' },
  'reason.notConfirmedAB': { en: 'not confirmed by {n} interleaved A/B {n|pair|pairs} on this runner', zh: '本机 {n} 对交替 A/B 未能确认' },
  'reason.abRefused': {
    en: 'A/B confirmation refused: {why}; the stored verdict stands',
    zh: 'A/B 确认被拒绝：{why}；保留与存储基线比较的判定',
  },
  'reason.abVoid': { en: 'A/B confirmation void: {why}; the stored verdict stands', zh: 'A/B 确认无效：{why}；保留与存储基线比较的判定' },
  'reason.historyNoise': { en: 'noise band {level} from the last {n} {n|baseline|baselines}', zh: '噪声带 {level}（来自最近 {n} 个基线）' },
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
    en: '{n} {n|sample|samples}: 1 sample = {step} > {level}, ≥ {need} needed',
    zh: '{n} 个样本：1 个样本 = {step} > {level}，至少需要 {need} 个',
  },
  'reason.unpaired': { en: 'different samples: no paired test', zh: '样本不同：无配对检验' },
  'reason.incomparable': {
    en: "environment differs from the baseline's: {fields} — numbers shown for information, not judged",
    zh: '环境与基线不同：{fields} —— 数字仅供参考，未判定',
  },
  'reason.baselineUnreadable': { en: 'baseline unreadable: {message}', zh: '基线无法读取：{message}' },
  'reason.drift': {
    en: 'max abs. diff {maxAbs} · mean abs. diff {meanAbs} · max rel. diff {maxRel} · cosine {cosine} · {outside} of {values} {values|value|values} outside atol {atol} + rtol {rtol} × golden',
    zh: '最大绝对差 {maxAbs} · 平均绝对差 {meanAbs} · 最大相对差 {maxRel} · 余弦相似度 {cosine} · {values} 个值中 {outside} 个超出 atol {atol} + rtol {rtol} × 基准值',
  },
  'reason.driftNone': { en: 'identical to the golden outputs ({values} {values|value|values})', zh: '与基准输出完全相同（{values} 个值）' },
  'reason.driftUnreadable': {
    en: "the baseline's golden outputs of {output} are unreadable: not judged",
    zh: '基线中 {output} 的基准输出无法读取：未判定',
  },
  'reason.driftUnpaired': { en: 'no sample in common with the golden outputs: not judged', zh: '与基准输出没有共同样本：未判定' },
  'reason.driftNoOutput': { en: 'the baseline kept no golden outputs of {output}', zh: '基线中没有 {output} 的基准输出' },
  'reason.allWithin': { en: 'all {n} {n|metric|metrics} within thresholds', zh: '全部 {n} 项指标在阈值以内' },
  'reason.rowsFailed': { en: '{n} regressed: {what}', zh: '{n} 项退化：{what}' },
  'reason.rowsInconclusive': { en: '{n} inconclusive: {what}', zh: '{n} 项不确定：{what}' },
  'reason.rowsWarned': { en: '{n} warned: {what}', zh: '{n} 项警告：{what}' },
  'reason.rowsAccepted': { en: '{n} accepted: {what}', zh: '{n} 项已接受：{what}' },
  'reason.accepted': { en: 'accepted by {by}: {reason}', zh: '已由 {by} 接受：{reason}' },
  'reason.acceptedCarried': {
    en: 'accepted by {by} for {sha} and no worse now: {reason}',
    zh: '已由 {by} 针对 {sha} 接受，且本次未更差：{reason}',
  },

  // the comment
  'verdict.pass': { en: 'pass', zh: '通过' },
  'verdict.warn': { en: 'warning', zh: '警告' },
  'verdict.fail': { en: 'regression', zh: '退化' },
  'verdict.inconclusive': { en: 'inconclusive', zh: '不确定' },
  'verdict.incomparable': { en: 'incomparable environment', zh: '环境不可比' },
  'verdict.no-baseline': { en: 'no baseline yet', zh: '尚无基线' },
  'verdict.unreadable': { en: 'baseline unreadable', zh: '基线无法读取' },
  'verdict.accepted': { en: 'regression accepted', zh: '退化已接受' },
  'count.accepted': { en: '{n} accepted', zh: '{n} 项已接受' },
  // acceptance on the PR (issue 15)
  'accept.given': {
    en: 'Accepted by {by} ({via}, {date}) for {sha}: {reason}',
    zh: '由 {by} 接受（{via}，{date}），针对 {sha}：{reason}',
  },
  'accept.metrics': { en: ' — metrics: {metrics}', zh: ' —— 指标：{metrics}' },
  'accept.viaLabel': { en: 'label', zh: '标签' },
  'accept.viaComment': { en: 'comment', zh: '评论' },
  'accept.stale': {
    en: 'The acceptance by {by} was given for {sha}; this head ({head}) regresses further, so it needs a new acceptance.',
    zh: '{by} 的接受针对 {sha}；当前提交（{head}）退化更多，需要重新接受。',
  },
  'accept.refused': { en: 'Acceptance by {by} ({via}) not counted: {why}', zh: '{by} 的接受（{via}）未被计入：{why}' },
  'accept.why.permission': {
    en: '{by} has {permission} permission on this repository; write, maintain or admin is needed',
    zh: '{by} 对本仓库的权限是 {permission}；需要 write、maintain 或 admin',
  },
  'accept.why.author': {
    en: "{by} is the PR's author, who may not accept alone (setting accept-by-author: true allows it)",
    zh: '{by} 是该 PR 的作者，不能独自接受（设置 accept-by-author: true 可允许）',
  },
  'accept.why.unknown': {
    en: 'the permission of {by} could not be read ({message})',
    zh: '无法读取 {by} 的权限（{message}）',
  },
  'accept.how': {
    en: 'To accept the regressions of this head, someone with write permission comments {command}',
    zh: '如需接受当前提交的退化，有写权限的人可评论 {command}',
  },
  'accept.why.noHead': {
    en: 'the command names no head commit; to accept the head {head}, comment {command}',
    zh: '命令没有指明提交；如需接受当前提交 {head}，请评论 {command}',
  },
  'accept.why.moved': {
    en: 'the command names {named}, but the PR head is {head} now (pushed after the comment); to accept that head, comment {command}',
    zh: '命令指明的是 {named}，但 PR 当前提交已是 {head}（评论后有新的推送）；如需接受该提交，请评论 {command}',
  },
  'accept.why.command': {
    en: 'not understood: {message}; write /perf-gate accept <head commit> <metrics|all> <reason>',
    zh: '无法理解：{message}；请写 /perf-gate accept <提交> <指标|all> <原因>',
  },
  'count.regression': { en: '{n} {n|regression|regressions}', zh: '{n} 项退化' },
  'count.warning': { en: '{n} {n|warning|warnings}', zh: '{n} 项警告' },
  'count.inconclusive': { en: '{n} inconclusive', zh: '{n} 项不确定' },
  'sep.list': { en: ', ', zh: '，' },
  'col.model': { en: 'model', zh: '模型' },
  'col.metric': { en: 'metric', zh: '指标' },
  'col.baseline': { en: 'baseline', zh: '基线' },
  'col.current': { en: 'this PR', zh: '本 PR' },
  'col.change': { en: 'change', zh: '变化' },
  'variants.title': {
    en: '{model} — {n} {n|variant|variants}, side by side (this PR, change vs. its own baseline)',
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
  'details.shards': {
    en: 'measured in {n} {n|shard|shards} side by side, merged into this one report',
    zh: '分 {n} 个分片并行测量，合并为本报告',
  },
  'details.warmup': { en: 'warm-up {n}', zh: '预热 {n} 次' },
  'details.rounds': {
    en: '{rounds} {rounds|round|rounds} × {iterations} {iterations|iteration|iterations}',
    zh: '{rounds} 轮 × {iterations} 次迭代',
  },
  'details.batch': { en: 'batch {n}', zh: '批大小 {n}' },
  'details.samples': { en: '{n} {n|sample|samples}', zh: '{n} 个样本' },
  'details.labelEncoding': {
    en: '{characters} label {characters|character|characters} outside the dictionary dropped before scoring, in {lines} {lines|label|labels} ({emptied} left empty, not scored), as PaddleOCR’s label encoding does',
    zh: '按 PaddleOCR 的标注编码，评分前删除了 {lines} 条标注中字典外的 {characters} 个字符（{emptied} 条因此为空，不计分）',
  },
  'details.wrong': { en: 'Wrong predictions: {model} ({shown} of {total})', zh: '错误预测：{model}（{total} 条中的 {shown} 条）' },
  'details.warnings': { en: 'Warnings ({n})', zh: '警告（{n}）' },
  'trend.summary': {
    en: 'Latency p50 trend: {model} (last {n} {n|baseline|baselines} and this run)',
    zh: '延迟 p50 趋势：{model}（最近 {n} 个基线与本次）',
  },
  'trend.metric': { en: 'latency p50 (ms)', zh: '延迟 p50 (ms)' },
  'trend.thisRun': { en: 'this run', zh: '本次' },
  'trend.accepted': { en: 'accepted', zh: '已接受' },
  'wrong.sample': { en: 'sample', zh: '样本' },
  'wrong.label': { en: 'label', zh: '标注' },
  'wrong.prediction': { en: 'prediction', zh: '预测' },
  promotion: { en: 'Baseline: {message}', zh: '基线：{message}' },
  'archive.line': { en: '📦 report.html, logs and raw results: {where}', zh: '📦 report.html、日志与原始结果：{where}' },
  // report.html (report/html.ts)
  'html.title': { en: '{gate}: performance report', zh: '{gate}：性能报告' },
  'html.generated': { en: 'run started {at}, {seconds} s', zh: '运行开始于 {at}，用时 {seconds} 秒' },
  'html.latency': { en: 'Latency: round medians, base vs this run (ECDF)', zh: '延迟：每轮中位数，基线与本次（经验分布）' },
  'html.latency.x': { en: 'round median latency (ms)', zh: '每轮中位延迟 (ms)' },
  'html.latency.y': { en: 'share of rounds', zh: '轮次占比' },
  'html.side': { en: 'side', zh: '一方' },
  'html.side.base': { en: 'baseline', zh: '基线' },
  'html.side.head': { en: 'this run', zh: '本次' },
  'html.pairs': {
    en: 'Same-runner A/B pairs: own-cost ratio this run / base, with the interval and the bands',
    zh: '同机 A/B 配对：本次 / 基线 的自身耗时比，含区间与噪声/失败带',
  },
  'html.pairs.x': { en: 'pair', zh: '配对' },
  'html.pairs.y': { en: 'change (%)', zh: '变化 (%)' },
  'html.band': { en: 'band', zh: '区间带' },
  'html.band.noise': { en: 'noise', zh: '噪声' },
  'html.band.warn': { en: 'warn', zh: '警告' },
  'html.band.fail': { en: 'fail', zh: '失败' },
  'html.band.interval': { en: 'interval', zh: '置信区间' },
  'html.trend': { en: 'Latency p50 over the last baselines and this run', zh: '最近基线与本次的延迟 p50' },
  'html.trend.x': { en: 'commit', zh: '提交' },
  'html.memory': { en: 'Memory over iterations, with the fitted growth line', zh: '内存随迭代变化，含拟合增长线' },
  'html.memory.x': { en: 'timed iteration', zh: '计时迭代' },
  'html.memory.y': { en: 'memory (MB)', zh: '内存 (MB)' },
  'html.memory.series': { en: 'series', zh: '序列' },
  'html.memory.fit': { en: '{series}, fitted growth', zh: '{series}，拟合增长' },
  'html.flips': { en: 'Accuracy: samples that changed against the baseline', zh: '准确率：相对基线发生变化的样本' },
  'html.flips.broke': { en: 'wrong now, right in the baseline', zh: '本次错误，基线正确' },
  'html.flips.fixed': { en: 'right now, wrong in the baseline', zh: '本次正确，基线错误' },
  'html.flips.none': { en: 'No sample changed against the baseline.', zh: '与基线相比没有样本发生变化。' },
  'html.flips.noBaseline': { en: 'No baseline to compare samples with.', zh: '没有可对比样本的基线。' },
  'html.flips.omitted': { en: '{n} more not listed', zh: '另有 {n} 条未列出' },
  'html.flips.image': { en: 'image', zh: '图像' },
  'html.flips.before': { en: 'baseline prediction', zh: '基线预测' },
  'html.noData': { en: 'Not drawn: {why}', zh: '未绘制：{why}' },
  'html.why.noRounds': { en: 'no timed rounds', zh: '没有计时轮次' },
  'html.why.noTrend': { en: 'fewer than 2 earlier baselines', zh: '早先基线少于 2 个' },
  'html.why.noMemory': { en: 'no memory samples', zh: '没有内存采样' },
  'html.why.noPairs': { en: 'no A/B confirmation ran for this model', zh: '此模型未进行 A/B 确认' },
  'html.archive': { en: 'logs and raw results: {where}', zh: '日志与原始结果：{where}' },
  // paddle-perf-gate history MODEL
  'history.title': {
    en: '{model} on {branch} ({store}): {n} {n|promotion|promotions}, newest first',
    zh: '{model} 在 {branch}（{store}）：{n} 次晋升，最新在前',
  },
  'history.none': { en: '{model} on {branch} ({store}): no promotions yet', zh: '{model} 在 {branch}（{store}）：尚无晋升' },
  'history.accepted': {
    en: '  accepted by {by} ({via}, PR #{pr}, head {sha}, {date}): {reason}',
    zh: '  由 {by} 接受（{via}，PR #{pr}，提交 {sha}，{date}）：{reason}',
  },
  'history.delta': { en: '    {metric}: {change}', zh: '    {metric}：{change}' },
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
    en: '✂️ Cut to fit {max} {max|character|characters}: {what}. The full report is in the JSON output.',
    zh: '✂️ 为符合 {max} 字符上限已截断：{what}。完整报告见 JSON 输出。',
  },
  'cut.details': { en: 'details left out', zh: '已省略详情' },
  'cut.passing': { en: '{n} passing {n|row|rows} left out', zh: '已省略 {n} 行通过的指标' },
  'cut.rows': { en: '{n} {n|row|rows} left out', zh: '已省略 {n} 行' },
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
  'metric.drift': { en: 'output drift, {output}', zh: '输出漂移，{output}' },
  'details.drift': {
    en: 'Output drift of {model} against the golden outputs: the samples that moved most',
    zh: '{model} 相对基准输出的漂移：变化最大的样本',
  },
  'drift.output': { en: 'output', zh: '输出' },
  'drift.maxAbs': { en: 'max abs. diff', zh: '最大绝对差' },
  'drift.outside': { en: 'values outside tolerance', zh: '超出容差的值' },
  'drift.sizeChanged': { en: 'output size changed', zh: '输出大小已改变' },
} as const satisfies Record<string, Record<Lang, string>>;

export type StringKey = keyof typeof STRINGS;

export function isStringKey(key: string): key is StringKey {
  return Object.hasOwn(STRINGS, key);
}

/**
 * The text of `key` in `lang` with `{name}` placeholders filled (a missing arg stays visible).
 * `{name|one|other}` picks the words that agree with the count in `name` (English "1 promotion",
 * "2 promotions"; Chinese has one form). `counts` holds the counts when `args` are slot markers.
 */
export function t(
  lang: Lang,
  key: StringKey,
  args: Readonly<Record<string, unknown>> = {},
  counts: Readonly<Record<string, unknown>> = args,
): string {
  return STRINGS[key][lang]
    .replace(/\{(\w+)\|([^|{}]*)\|([^|{}]*)\}/g, (whole, name: string, one: string, other: string) =>
      name in counts ? (isSingular(lang, countOf(counts[name])) ? one : other) : whole,
    )
    .replace(/\{(\w+)\}/g, (whole, name: string) => (name in args ? String(args[name]) : whole));
}

/** A count given as a number or as its formatted text ("1", "1,204"). */
function countOf(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value).replace(/[,\s]/g, ''));
}
