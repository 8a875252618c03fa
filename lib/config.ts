/**
 * ALBERT's config.json, under Hugging Face's field names (transformers' AlbertConfig). Fields the file
 * leaves out hold Hugging Face's defaults; fields this interface does not name (e.g. `id2label`,
 * `architectures`) are kept as they were in the file.
 */
export interface AlbertConfig {
  model_type: 'albert';
  vocab_size: number;
  embedding_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_hidden_groups: number;
  num_attention_heads: number;
  intermediate_size: number;
  inner_group_num: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  classifier_dropout_prob: number;
  position_embedding_type: 'absolute';
  pad_token_id: number;
  bos_token_id: number;
  eos_token_id: number;
  architectures?: string[];
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  [field: string]: unknown;
}
