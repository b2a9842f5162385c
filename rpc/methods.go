package rpc

import (
	"strconv"

	"github.com/ethereum/go-ethereum/common/hexutil"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// registerMethods lists every method the server answers. Anything else,
// including Ethereum methods that have no meaning here (mining, node-held
// keys, engine_*), is "method not found".
func (s *Server) registerMethods() map[string]handlerFunc {
	m := map[string]handlerFunc{
		"web3_clientVersion": s.web3ClientVersion,
		"web3_sha3":          s.web3Sha3,
		"net_version":        s.netVersion,
		"net_listening":      s.netListening,
		"net_peerCount":      s.netPeerCount,

		"eth_chainId":                             s.ethChainID,
		"eth_blockNumber":                         s.ethBlockNumber,
		"eth_syncing":                             s.ethSyncing,
		"eth_capabilities":                        s.ethCapabilities,
		"eth_accounts":                            s.ethAccounts,
		"eth_gasPrice":                            s.zeroFee,
		"eth_maxPriorityFeePerGas":                s.zeroFee,
		"eth_baseFee":                             s.zeroFee,
		"eth_feeHistory":                          s.ethFeeHistory,
		"eth_getBlockByNumber":                    s.ethGetBlockByNumber,
		"eth_getBlockByHash":                      s.ethGetBlockByHash,
		"eth_getBlockTransactionCountByHash":      s.ethGetBlockTransactionCountByHash,
		"eth_getBlockTransactionCountByNumber":    s.ethGetBlockTransactionCountByNumber,
		"eth_getUncleCountByBlockHash":            s.ethGetUncleCountByBlockHash,
		"eth_getUncleCountByBlockNumber":          s.ethGetUncleCountByBlockNumber,
		"eth_getUncleByBlockHashAndIndex":         s.ethGetUncleByBlockHashAndIndex,
		"eth_getUncleByBlockNumberAndIndex":       s.ethGetUncleByBlockNumberAndIndex,
		"eth_getTransactionByHash":                s.ethGetTransactionByHash,
		"eth_getRawTransactionByHash":             s.ethGetRawTransactionByHash,
		"eth_getTransactionByBlockHashAndIndex":   s.ethGetTransactionByBlockHashAndIndex,
		"eth_getTransactionByBlockNumberAndIndex": s.ethGetTransactionByBlockNumberAndIndex,
		"eth_getTransactionReceipt":               s.ethGetTransactionReceipt,
		"eth_getBlockReceipts":                    s.ethGetBlockReceipts,
		"eth_getBalance":                          s.ethGetBalance,
		"eth_getCode":                             s.ethGetCode,
		"eth_getStorageAt":                        s.ethGetStorageAt,
		"eth_getStorageValues":                    s.ethGetStorageValues,
		"eth_getTransactionCount":                 s.ethGetTransactionCount,
		"eth_call":                                s.ethCall,
		"eth_estimateGas":                         s.ethEstimateGas,
		"eth_sendRawTransaction":                  s.ethSendRawTransaction,
		"eth_getLogs":                             s.ethGetLogs,
		"eth_newFilter":                           s.ethNewFilter,
		"eth_newBlockFilter":                      s.ethNewBlockFilter,
		"eth_getFilterChanges":                    s.ethGetFilterChanges,
		"eth_getFilterLogs":                       s.ethGetFilterLogs,
		"eth_uninstallFilter":                     s.ethUninstallFilter,
		"eth_subscribe":                           s.ethSubscribe,
		"eth_unsubscribe":                         s.ethUnsubscribe,

		"bcos_getChainInfo":          s.bcosGetChainInfo,
		"bcos_getSystemConfig":       s.bcosGetSystemConfig,
		"bcos_getPendingTxSize":      s.bcosGetPendingTxSize,
		"bcos_getTransactionReceipt": s.bcosGetTransactionReceipt,
		"bcos_getTransactionProof":   s.bcosGetTransactionProof,
		"bcos_getReceiptProof":       s.bcosGetReceiptProof,
		"bcos_sendTransaction":       s.bcosSendTransaction,
		"bcos_getSealerList":         s.bcosGetSealerList,
	}
	if _, ok := s.b.(NodeStatusBackend); ok {
		m["bcos_getNodeInfo"] = s.bcosGetNodeInfo
		m["bcos_getConsensusStatus"] = s.bcosGetConsensusStatus
		m["bcos_getPeers"] = s.bcosGetPeers
		m["bcos_getGroupNodes"] = s.bcosGetGroupNodes
		m["bcos_getObserverList"] = s.bcosGetObserverList
	}
	if _, ok := s.b.(PendingTxSource); ok {
		m["eth_newPendingTransactionFilter"] = s.ethNewPendingTransactionFilter
	}
	if _, ok := s.b.(PendingTxLister); ok {
		m["bcos_getPendingTransactions"] = s.bcosGetPendingTransactions
	}
	if _, ok := s.b.(PoolInspector); ok {
		m["txpool_status"] = s.txpoolStatus
		m["txpool_content"] = s.txpoolContent
		m["txpool_contentFrom"] = s.txpoolContentFrom
	}
	if _, ok := s.b.(AccessListBackend); ok {
		m["eth_createAccessList"] = s.ethCreateAccessList
	}
	s.addGovernanceMethods(m)
	return m
}

func (s *Server) web3ClientVersion(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return s.b.ClientVersion(), nil
}

// web3Sha3 is Keccak-256 whatever the chain's suite, as on Ethereum.
func (s *Server) web3Sha3(c *call) (any, error) {
	if err := c.maxArgs(1); err != nil {
		return nil, err
	}
	data, err := c.bytesArg(0, "data")
	if err != nil {
		return nil, err
	}
	return hexutil.Bytes(ethcrypto.Keccak256(data)), nil
}

func (s *Server) netVersion(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return strconv.FormatUint(s.chainID, 10), nil
}

func (s *Server) netListening(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return true, nil
}

func (s *Server) netPeerCount(c *call) (any, error) {
	if err := c.maxArgs(0); err != nil {
		return nil, err
	}
	return hexutil.Uint64(max(s.b.PeerCount(), 0)), nil
}
