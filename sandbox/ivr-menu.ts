// The hotline's menu behind the sandbox IVR (ivr.ts): what a caller hears and what each key
// does, from the same billing, payment and CRM state as the other channels. Main menu: 1 balance,
// 2 bill, 3 top-up (1 top up, 2 refund), 4 plan change, 0 agent, * repeat. Numbers are read as
// digit prompts ("您的话费余额为" 1 2 点 3 4 "元"); entries end with #. Each answer belongs to one
// transaction, so a fault scoped to it (or to a backend it uses) reaches it.
import { billFor, fenToYuan, findPlan, PLANS } from './catalog.js';
import { TOPUP_LIMITS } from './channel-api.js';
import type { SandboxState } from './state.js';

/** Every prompt the IVR speaks, by name: the words its voice is synthesised from. */
export const IVR_PROMPTS: Readonly<Record<string, string>> = Object.freeze({
  welcome: '欢迎致电中国移动',
  menu: '话费查询请按1，账单查询请按2，充值缴费请按3，套餐变更请按4，人工服务请按0',
  balance_is: '您的话费余额为',
  bill_is: '您上月账单金额为',
  yuan: '元',
  topup_menu: '充值请按1，退款请按2',
  enter_amount: '请输入充值金额，以井号键结束',
  enter_order: '请输入订单号，以井号键结束',
  topup_done: '充值成功，当前余额为',
  refund_done: '退款成功，当前余额为',
  order_used: '该订单号已使用',
  order_unknown: '未找到该订单',
  plan_is: '您当前的主套餐为',
  plan_offer: '可变更为',
  enter_plan: '变更请输入套餐编号，以井号键结束',
  plan_confirm: '您将变更主套餐为',
  press_one: '确认请按1',
  plan_done: '套餐变更成功，次月生效',
  cancelled: '已取消',
  agent: '正在为您转接人工服务，请稍候',
  invalid: '输入有误，请重新输入',
  system_busy: '系统繁忙，请稍后再试',
  point: '点',
  ...Object.fromEntries([...'0123456789'].map((d) => [d, d])),
});

export type IvrPromptName = keyof typeof IVR_PROMPTS & string;

/** One piece of what the IVR says: a prompt, or a number read digit by digit. */
export type Utterance = { prompt: string } | { number: string };

/** What a key (or the call's start) leads to: its transaction, and the words once it runs. */
export interface MenuAnswer {
  transaction: string | null;
  run(): Utterance[];
}

const say = (...names: string[]): Utterance[] => names.map((prompt) => ({ prompt }));
const yuan = (fen: number) => fenToYuan(Math.max(0, fen)).toFixed(2);

type MenuState =
  | { at: 'main' }
  | { at: 'topup_menu' }
  | { at: 'amount'; keys: string }
  | { at: 'topup_order'; amountFen: number; keys: string }
  | { at: 'refund_order'; keys: string }
  | { at: 'plan_id'; keys: string }
  | { at: 'plan_confirm'; planId: string };

/** Longest entry before # (an order number, an amount, a plan number). */
const MAX_ENTRY = 20;

export class IvrMenu {
  private state: MenuState = { at: 'main' };

  constructor(
    private readonly sandbox: SandboxState,
    private readonly msisdn: string,
  ) {}

  /** What the caller hears on answer. */
  greeting(): MenuAnswer {
    return { transaction: null, run: () => say('welcome', 'menu') };
  }

  /** A key pressed; null while an entry is still being keyed (no answer until #). */
  press(key: string): MenuAnswer | null {
    const accounts = this.sandbox.accounts;
    const msisdn = this.msisdn;
    const s = this.state;
    const back = (...words: Utterance[]): Utterance[] => {
      this.state = { at: 'main' };
      return [...words, { prompt: 'menu' }];
    };
    const entry = (keys: string, done: (value: string) => MenuAnswer, transaction: string): MenuAnswer | null => {
      if (key !== '#') {
        if (keys.length >= MAX_ENTRY || !/[0-9]/.test(key)) {
          this.state = { at: 'main' };
          return { transaction, run: () => back({ prompt: 'invalid' }) };
        }
        (s as { keys: string }).keys = keys + key;
        return null;
      }
      return done(keys);
    };
    switch (s.at) {
      case 'main':
        switch (key) {
          case '1':
            return { transaction: 'balance_query', run: () => back({ prompt: 'balance_is' }, { number: yuan(accounts.balanceFen(msisdn)) }, { prompt: 'yuan' }) };
          case '2':
            return {
              transaction: 'bill_query',
              run: () => back({ prompt: 'bill_is' }, { number: yuan(billFor(msisdn, previousMonth(this.sandbox.now())).totalFen) }, { prompt: 'yuan' }),
            };
          case '3':
            return { transaction: 'topup', run: () => ((this.state = { at: 'topup_menu' }), say('topup_menu')) };
          case '4':
            return {
              transaction: 'plan_change',
              run: () => {
                const current = findPlan(accounts.planId(msisdn));
                const offer = PLANS.find((p) => p.planId !== current?.planId) as (typeof PLANS)[number];
                this.state = { at: 'plan_id', keys: '' };
                return [{ prompt: 'plan_is' }, { number: (current?.planId ?? '').replace(/^P/, '') }, { prompt: 'plan_offer' }, { number: offer.planId.replace(/^P/, '') }, { prompt: 'enter_plan' }];
              },
            };
          case '0':
            return { transaction: null, run: () => back({ prompt: 'agent' }) };
          case '*':
            return { transaction: null, run: () => say('menu') };
          default:
            return { transaction: null, run: () => back({ prompt: 'invalid' }) };
        }
      case 'topup_menu':
        if (key === '1') return { transaction: 'topup', run: () => ((this.state = { at: 'amount', keys: '' }), say('enter_amount')) };
        if (key === '2') return { transaction: 'topup', run: () => ((this.state = { at: 'refund_order', keys: '' }), say('enter_order')) };
        return { transaction: 'topup', run: () => back({ prompt: 'invalid' }) };
      case 'amount':
        return entry(s.keys, (keys) => ({
          transaction: 'topup',
          run: () => {
            const amount = Number(keys);
            if (!/^[0-9]{1,6}$/.test(keys) || amount <= 0 || amount > TOPUP_LIMITS.maxAmountYuan) return back({ prompt: 'invalid' });
            this.state = { at: 'topup_order', amountFen: amount * 100, keys: '' };
            return say('enter_order');
          },
        }), 'topup');
      case 'topup_order':
        return entry(s.keys, (orderId) => ({
          transaction: 'topup',
          run: () => {
            if (orderId === '') return back({ prompt: 'invalid' });
            const outcome = accounts.topup(msisdn, `IVR${orderId}`, s.amountFen);
            if (outcome.kind === 'conflict') return back({ prompt: 'order_used' });
            return back({ prompt: 'topup_done' }, { number: yuan(outcome.balanceFen) }, { prompt: 'yuan' });
          },
        }), 'topup');
      case 'refund_order':
        return entry(s.keys, (orderId) => ({
          transaction: 'topup',
          run: () => {
            const refunded = orderId === '' ? undefined : accounts.refund(msisdn, `IVR${orderId}`);
            if (!refunded) return back({ prompt: 'order_unknown' });
            return back({ prompt: 'refund_done' }, { number: yuan(refunded.balanceFen) }, { prompt: 'yuan' });
          },
        }), 'topup');
      case 'plan_id':
        return entry(s.keys, (keys) => ({
          transaction: 'plan_change',
          run: () => {
            const plan = findPlan(`P${keys}`);
            if (!plan) return back({ prompt: 'invalid' });
            this.state = { at: 'plan_confirm', planId: plan.planId };
            return [{ prompt: 'plan_confirm' }, { number: keys }, { prompt: 'press_one' }];
          },
        }), 'plan_change');
      case 'plan_confirm':
        return {
          transaction: 'plan_change',
          run: () => {
            if (key !== '1') return back({ prompt: 'cancelled' });
            accounts.changePlan(msisdn, s.planId);
            return back({ prompt: 'plan_done' });
          },
        };
    }
  }
}

function previousMonth(nowMs: number): string {
  const d = new Date(nowMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
}
