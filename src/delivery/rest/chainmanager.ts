/**
 * Delivery's chainmanager routes: the root-chain parameters Delivery runs with
 * (`chainmanager/types/params.go`), here from the node's config rather than from governed state.
 *
 *   GET /chainmanager/params          Params: Ethereum ("mainchain") confirmations, Bttc
 *                                     ("maticchain") confirmations, TRON confirmations, and
 *                                     chain_params: the Bttc chain id (a string), Ethereum's
 *                                     contracts (0x hex), TRON's (41-prefixed hex, as Delivery's
 *                                     genesis writes them), the Bttc system contracts
 *   GET /chainmanager/newparams/{root} the same with BSC's confirmations and contracts in place of
 *                                     Ethereum's when root is "bsc" (Delivery's chain-params query)
 *
 * Not in our config: the BTT token address on Ethereum (`matic_token_address`) and a slash manager;
 * both are the zero address, as in a Delivery genesis that leaves them out.
 */
import type { NodeConfig, RootChainConfig } from '../../config/types.ts';
import type { GoJsonValue } from '../../protocol/delivery-rest/go-json.ts';
import { heimdallAddress } from '../../protocol/delivery-rest/format.ts';
import type { RestRoute } from './interface.ts';

/** Delivery's defaults (chainmanager/types/params.go) where a chain is not configured. */
const DEFAULT_MAINCHAIN_CONFIRMATIONS = 6;
const DEFAULT_TRON_CONFIRMATIONS = 18;

const ETHEREUM_ID = 2;
const BSC_ID = 3;

/** A TRON contract address as Delivery's chain params hold it: "41" + 40 upper-case hex digits; "" when unknown. */
export function tronHexAddress(hex: string | null): string {
  if (hex === null) return '';
  if (!/^0x[0-9a-fA-F]{40}$/.test(hex)) throw new TypeError(`TRON address: expected 0x + 40 hex digits, got ${JSON.stringify(hex)}`);
  return '41' + hex.slice(2).toUpperCase();
}

function tronChain(config: NodeConfig): RootChainConfig | undefined {
  return config.rootChains.find((c) => c.kind === 'tron');
}

/** `mainchain` fields from `chain` (Ethereum, or BSC for newparams/bsc); zero values when it is not configured. */
function mainchainFields(
  chain: RootChainConfig | undefined,
  defaultConfirmations: number,
): { confirmations: number; stakeManager: string; rootChain: string; stakingInfo: string; stateSender: string } {
  return {
    confirmations: chain?.confirmations ?? defaultConfirmations,
    stakeManager: heimdallAddress(chain?.stakeManager ?? null),
    rootChain: heimdallAddress(chain?.rootChain ?? null),
    stakingInfo: heimdallAddress(chain?.stakingInfo ?? null),
    stateSender: heimdallAddress(chain?.stateSender ?? null),
  };
}

/**
 * Delivery's `chainmanager.Params` for the node's config; `root` "bsc" puts BSC's confirmations and
 * contracts where Ethereum's are (an unconfigured BSC gives zeros, as Delivery's query does).
 */
export function chainManagerParams(config: NodeConfig, root: string | null = null): { readonly [k: string]: GoJsonValue } {
  const eth = config.rootChains.find((c) => c.id === ETHEREUM_ID);
  const main =
    root === 'bsc'
      ? mainchainFields(
          config.rootChains.find((c) => c.id === BSC_ID),
          0,
        )
      : mainchainFields(eth, DEFAULT_MAINCHAIN_CONFIRMATIONS);
  const tron = tronChain(config);
  return {
    mainchain_tx_confirmations: main.confirmations,
    maticchain_tx_confirmations: config.checkpoint.bttcConfirmations,
    tronchain_tx_confirmations: tron?.confirmations ?? DEFAULT_TRON_CONFIRMATIONS,
    chain_params: {
      bor_chain_id: String(config.bttc.chainId),
      matic_token_address: heimdallAddress(null),
      staking_manager_address: main.stakeManager,
      slash_manager_address: heimdallAddress(null),
      root_chain_address: main.rootChain,
      staking_info_address: main.stakingInfo,
      state_sender_address: main.stateSender,
      tron_chain_address: tronHexAddress(tron?.rootChain ?? null),
      tron_state_sender_address: tronHexAddress(tron?.stateSender ?? null),
      tron_staking_manager_address: tronHexAddress(tron?.stakeManager ?? null),
      tron_state_info_address: tronHexAddress(tron?.stakingInfo ?? null),
      state_receiver_address: heimdallAddress(config.bttc.stateReceiverContract),
      validator_set_address: heimdallAddress(config.bttc.validatorSetContract),
    },
  };
}

export function chainManagerRoutes(): RestRoute[] {
  return [
    { path: '/chainmanager/params', handle: (req) => chainManagerParams(req.config) },
    { path: '/chainmanager/newparams/:root', handle: (req) => chainManagerParams(req.config, req.params.root!) },
  ];
}
