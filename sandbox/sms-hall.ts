// The SMS service hall behind the sandbox SMSC: a subscriber texts a command to the service
// number and gets the answer in Chinese, from the same billing, payment and CRM state as the
// other channels. Each command belongs to one transaction (how a fault is scoped to it); a plan
// change or an add-on first answers "回复Y确认" and acts only on the subscriber's `Y`. A failure
// answer carries its business code as "（错误码NNNN）", which the channel's rule reads.
import { ADDONS, billFor, fenToYuan, findAddon, findPlan, PLANS, pointsFor } from './catalog.js';
import { TOPUP_LIMITS } from './channel-api.js';
import type { SandboxState } from './state.js';

/** A command understood: its transaction (for faults) and what it does when it runs. */
export interface HallCommand {
  transaction: string | null;
  run(): string;
}

/** A confirmation waits this long for the subscriber's Y. */
const CONFIRM_TTL_MS = 5 * 60_000;

const SIGNATURE = '【营业厅】';

/** The failure answer: Chinese text, the code where the channel's business-code rule finds it. */
export function failureReply(code: string, what?: string): string {
  const general: Record<string, string> = {
    '4001': '指令格式有误',
    '4040': '未找到相关业务',
    '4090': '订单号已使用',
    '5001': '系统繁忙，请稍后再试',
    '5101': '计费系统繁忙，请稍后再试',
    '5201': '支付系统繁忙，请稍后再试',
    '5301': '客户系统繁忙，请稍后再试',
    '5901': '系统繁忙，请稍后再试',
  };
  const text = general[code] ?? '业务办理失败';
  return `${what ? `${what}：` : ''}${text}。（错误码${code}）${SIGNATURE}`;
}

type Pending = { kind: 'plan'; planId: string; atMs: number } | { kind: 'addon'; addonId: string; atMs: number };

const yuan = (fen: number) => fenToYuan(fen).toFixed(2);

export class SmsHall {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly state: SandboxState) {}

  /** Parses a command; the text is matched case-insensitively, with spaces between fields. */
  command(msisdn: string, text: string): HallCommand {
    const [verb = '', ...args] = text.trim().split(/\s+/);
    const { accounts } = this.state;
    const now = this.state.now();
    const cmd = (transaction: string, run: () => string): HallCommand => ({ transaction, run });
    switch (verb.toUpperCase()) {
      case 'CXYE':
        return cmd('balance_query', () => `尊敬的客户，您的账户余额为${yuan(accounts.balanceFen(msisdn))}元。${SIGNATURE}`);
      case 'CXZD':
        return cmd('bill_query', () => {
          const month = previousMonth(now);
          const bill = billFor(msisdn, month);
          const [y, m] = month.split('-');
          const items = bill.items.map((i) => `${ITEM_NAMES[i.item] ?? i.item}${i.amount.toFixed(2)}元`).join('，');
          return `尊敬的客户，您${y}年${Number(m)}月账单合计${yuan(bill.totalFen)}元，其中：${items}。详单请登录网上营业厅查询。${SIGNATURE}`;
        });
      case 'CZ':
        return cmd('topup', () => {
          const [amountText = '', orderId = ''] = args;
          const amount = Number(amountText);
          if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(amountText) || amount <= 0 || amount > TOPUP_LIMITS.maxAmountYuan || !/^[A-Za-z0-9._:~-]{1,64}$/.test(orderId)) {
            return failureReply('4001', '充值指令为：CZ 金额 订单号');
          }
          const outcome = accounts.topup(msisdn, orderId, Math.round(amount * 100));
          if (outcome.kind === 'conflict') return failureReply('4090', `订单${orderId}`);
          return `充值成功：订单${orderId}充值${amount.toFixed(2)}元，当前余额${yuan(outcome.balanceFen)}元。${SIGNATURE}`;
        });
      case 'CXCZ':
        return cmd('topup', () => {
          const order = accounts.order(msisdn, args[0] ?? '');
          if (!order) return failureReply('4040', `订单${args[0] ?? ''}`);
          return `订单${order.orderId}金额${yuan(order.amountFen)}元，状态：${order.status === 'DONE' ? '已到账' : '已退款'}。${SIGNATURE}`;
        });
      case 'TK':
        return cmd('topup', () => {
          const refunded = accounts.refund(msisdn, args[0] ?? '');
          if (!refunded) return failureReply('4040', `订单${args[0] ?? ''}`);
          return `退款成功：订单${refunded.order.orderId}已退回${yuan(refunded.order.amountFen)}元，当前余额${yuan(refunded.balanceFen)}元。${SIGNATURE}`;
        });
      case 'CXTC':
        return cmd('plan_change', () => {
          const current = findPlan(accounts.planId(msisdn));
          const offer = PLANS.find((p) => p.planId !== current?.planId) as (typeof PLANS)[number];
          return `您当前的主套餐为${current?.name ?? ''}(${current?.planId ?? ''})，可变更为${offer.name}(${offer.planId})，月费${yuan(offer.monthlyFeeFen)}元。${SIGNATURE}`;
        });
      case 'BGTC':
        return cmd('plan_change', () => {
          const plan = findPlan(args[0] ?? '');
          if (!plan) return failureReply('4001', `套餐编码有误，可选：${PLANS.map((p) => p.planId).join('、')}`);
          this.pending.set(msisdn, { kind: 'plan', planId: plan.planId, atMs: now });
          return `您将变更主套餐为${plan.name}(${plan.planId})，月费${yuan(plan.monthlyFeeFen)}元，次月生效。回复Y确认，回复其他内容取消。${SIGNATURE}`;
        });
      case 'KT':
        return cmd('data_addon', () => {
          const addon = findAddon(args[0] ?? '');
          if (!addon) return failureReply('4001', `业务编码有误，可选：${ADDONS.map((a) => a.addonId).join('、')}`);
          this.pending.set(msisdn, { kind: 'addon', addonId: addon.addonId, atMs: now });
          return `您将开通${addon.name}(${addon.addonId})，费用${yuan(addon.feeFen)}元。回复Y确认，回复其他内容取消。${SIGNATURE}`;
        });
      case 'Y':
        return this.confirm(msisdn, now);
      case 'QX':
        return cmd('data_addon', () => {
          if (!accounts.unsubscribe(msisdn, args[0] ?? '')) return failureReply('4040', `订购${args[0] ?? ''}`);
          return `退订成功：订购编号${args[0]}已取消。${SIGNATURE}`;
        });
      case 'CXYX':
        return cmd('profile_update', () => `您的联系邮箱为${accounts.contactEmail(msisdn)}。${SIGNATURE}`);
      case 'XGYX':
        return cmd('profile_update', () => {
          const email = args[0] ?? '';
          if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) return failureReply('4001', '邮箱格式有误');
          const previous = accounts.setContactEmail(msisdn, email);
          return `修改成功：联系邮箱已由${previous}改为${email}。${SIGNATURE}`;
        });
      case 'CXJF':
        return cmd('other_query', () => `尊敬的客户，您当前的积分为${pointsFor(msisdn)}分。${SIGNATURE}`);
      default:
        // Any other text also cancels a waiting confirmation, as the prompt says.
        this.pending.delete(msisdn);
        return { transaction: null, run: () => failureReply('4001', '您发送的指令无法识别，查询余额请发送CXYE') };
    }
  }

  private confirm(msisdn: string, now: number): HallCommand {
    const waiting = this.pending.get(msisdn);
    if (!waiting || now - waiting.atMs > CONFIRM_TTL_MS) {
      return { transaction: null, run: () => failureReply('4040', '您没有待确认的业务') };
    }
    const { accounts } = this.state;
    if (waiting.kind === 'plan') {
      return {
        transaction: 'plan_change',
        run: () => {
          this.pending.delete(msisdn);
          const previous = accounts.changePlan(msisdn, waiting.planId);
          return `办理成功：您的主套餐已由${previous}变更为${waiting.planId}。${SIGNATURE}`;
        },
      };
    }
    return {
      transaction: 'data_addon',
      run: () => {
        this.pending.delete(msisdn);
        const subscription = accounts.subscribe(msisdn, waiting.addonId, now);
        if (subscription === 'limit') return failureReply('4001', '已开通的业务过多，请先退订');
        return `开通成功：${findAddon(waiting.addonId)?.name ?? waiting.addonId}，订购编号${subscription.subscriptionId}。${SIGNATURE}`;
      },
    };
  }
}

const ITEM_NAMES: Readonly<Record<string, string>> = {
  'Monthly plan fee (Standard 38)': '套餐月费',
  'Voice calls': '语音通话费',
  'Mobile data': '上网流量费',
  SMS: '短信费',
};

function previousMonth(nowMs: number): string {
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
}
